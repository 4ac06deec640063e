import os
from pathlib import Path

pytest_plugins = ["pytester"]

# The repository's build, unless the environment names another binary.
os.environ.setdefault("MYSQL_SERVER_MOCK",
                      str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "mysql_server_mock"))
