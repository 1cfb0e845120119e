import hashlib
import os
from hashlib import sha256


def hash_password(plain):
    # ruleid: cwe-916-python-password-function-fast-hash
    return hashlib.sha256(plain.encode()).hexdigest()


def store_password(user, secret):
    salt = os.urandom(16)
    # ruleid: cwe-916-python-password-function-fast-hash
    digest = sha256(salt + secret.encode()).hexdigest()
    return user, salt.hex(), digest


def verify_password(candidate, stored):
    hasher = hashlib.md5()
    # ruleid: cwe-916-python-password-function-fast-hash
    hasher.update(candidate.encode())
    return hasher.hexdigest() == stored


def hash_password_kdf(plain):
    salt = os.urandom(16)
    # ok: cwe-916-python-password-function-fast-hash
    key = hashlib.pbkdf2_hmac("sha256", plain.encode(), salt, 600_000)
    return salt.hex() + key.hex()


def reset_password_token_label():
    # ok: cwe-916-python-password-function-fast-hash
    return hashlib.sha256(b"reset").hexdigest()


def file_checksum(data):
    # ok: cwe-916-python-password-function-fast-hash
    return hashlib.sha256(data).hexdigest()
