import hashlib


def certificate_matches(certificate: str, known_hash: str):
    # ruleid: cwe-327-python-weak-hash
    return hashlib.md5(certificate.encode()).hexdigest() == known_hash


def certificate_matches_sha1(certificate: str, known_hash: str):
    # ruleid: cwe-327-python-weak-hash
    return hashlib.new("sha1", certificate.encode()).hexdigest() == known_hash


def certificate_matches_sha256(certificate: str, known_hash: str):
    # ok: cwe-327-python-weak-hash
    return hashlib.sha256(certificate.encode()).hexdigest() == known_hash


def cache_key(data: bytes):
    # ok: cwe-327-python-weak-hash
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
