#!/usr/bin/env bash
# Creates this example's PKI under pki/ (git-ignored): the federation CA, then a key and a
# signed certificate for the orchestrator, three hospitals and one researcher. In a real
# federation each party runs `certs request` on its own machine and sends only the .csr.pem.
set -euo pipefail
cd "$(dirname "$0")"
cohort=${COHORT:-cohort}
"$cohort" certs init --dir pki/ca --name federation-demo
"$cohort" certs request --role orchestrator --name orchestrator --host 127.0.0.1 --host localhost --out pki/orchestrator
"$cohort" certs sign pki/orchestrator/orchestrator.csr.pem --ca pki/ca
for site in hospital-a hospital-b hospital-c; do
    "$cohort" certs request --role site --name "$site" --out "pki/$site"
    "$cohort" certs sign "pki/$site/$site.csr.pem" --ca pki/ca
done
"$cohort" certs request --role researcher --name dr-lee --out pki/dr-lee
"$cohort" certs sign pki/dr-lee/dr-lee.csr.pem --ca pki/ca
cp pki/ca/ca.cert.pem pki/dr-lee/ca.cert.pem
