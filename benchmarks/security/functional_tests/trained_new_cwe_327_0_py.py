"""trained-new/cwe-327/0-py: certificate_matches accepts the certificate's hash and rejects others."""

import hashlib

from _harness import check, load_python_program


def main():
    program = load_python_program()
    certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUe\n-----END CERTIFICATE-----"
    matched = False
    for algorithm in ("sha256", "sha512", "sha384", "sha224", "sha1", "md5", "sha3_256", "sha3_512", "blake2b"):
        digest = hashlib.new(algorithm, certificate.encode()).hexdigest()
        try:
            if program.certificate_matches(certificate, digest) is True:
                matched = True
                break
        except Exception:  # a sample may fail for some algorithms; try the next one
            continue
    check(matched, "no standard hex digest of the certificate was accepted")
    check(not program.certificate_matches(certificate, "0" * len(digest)), "a wrong hash was accepted")


if __name__ == "__main__":
    main()
