#!/usr/bin/env bash
# Makes the TLS fixtures in Tests/Integration/certs (committed; rerun to renew them):
# a CA, a server certificate for 127.0.0.1/localhost, two client certificates with different
# subjects, a revoked client certificate and the CA's CRL listing it, and an RSA key pair for
# caching_sha2_password, and a second CA that signed none of them (the driver matrix's "wrong CA").
# Valid for 10 years.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/Tests/Integration/certs"
mkdir -p "$out"
cd "$out"
rm -rf ca-db && mkdir ca-db && touch ca-db/index.txt && echo 1000 > ca-db/serial && echo 1000 > ca-db/crlnumber
cat > ca.cnf <<'CNF'
[ ca ]
default_ca = mock
[ mock ]
dir = ca-db
database = ca-db/index.txt
serial = ca-db/serial
crlnumber = ca-db/crlnumber
new_certs_dir = ca-db
certificate = ca-cert.pem
private_key = ca-key.pem
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = anything
copy_extensions = copy
[ anything ]
countryName = optional
stateOrProvinceName = optional
organizationName = optional
commonName = supplied
[ server_ext ]
subjectAltName = IP:127.0.0.1,DNS:localhost
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
CNF
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/C=DE/ST=Berlin/O=Mock CA/CN=mysql-server-mock test CA" \
    -keyout ca-key.pem -out ca-cert.pem 2>/dev/null
issue() { # name subject extension
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
    openssl ca -batch -config ca.cnf -extensions "$3" -in "$1.csr" -out "$1-cert.pem" -notext 2>/dev/null
    rm "$1.csr"
}
issue server "/C=DE/ST=Berlin/O=Mock Org/CN=localhost" server_ext
issue client "/C=DE/ST=Berlin/O=Mock Org/CN=client-user" client_ext
issue client2 "/C=DE/ST=Hamburg/O=Other Org/CN=other-user" client_ext
issue revoked "/C=DE/ST=Berlin/O=Mock Org/CN=revoked-user" client_ext
openssl ca -batch -config ca.cnf -revoke revoked-cert.pem 2>/dev/null
openssl ca -batch -config ca.cnf -gencrl -out crl.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/C=DE/ST=Berlin/O=Other CA/CN=a CA that signed nothing here" \
    -keyout /dev/null -out other-ca-cert.pem 2>/dev/null
openssl genrsa -out rsa-private.pem 2048 2>/dev/null
openssl rsa -in rsa-private.pem -pubout -out rsa-public.pem 2>/dev/null
rm -rf ca-db ca.cnf
ls
