"""The README's pytest example runs as written."""
import re
from pathlib import Path


def test_the_readme_example_runs(pytester):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"<!-- python-example -->\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(example.strip().splitlines()) == 10
    pytester.makepyfile(test_readme_example=example)
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)
