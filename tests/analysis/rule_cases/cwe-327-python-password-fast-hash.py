import hashlib


def get_password_hash(password: str, salt: str):
    # ruleid: cwe-327-python-password-fast-hash
    return hashlib.sha256((password + salt).encode()).hexdigest()


def get_password_hash_update(password: str, salt: str):
    hasher = hashlib.sha512()
    # ruleid: cwe-327-python-password-fast-hash
    hasher.update(password.encode())
    # ok: cwe-327-python-password-fast-hash
    hasher.update(salt.encode())
    return hasher.hexdigest()


def get_password_hash_kdf(password: str, salt: str):
    # ok: cwe-327-python-password-fast-hash
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 100000).hex()


def file_digest(data: bytes):
    # ok: cwe-327-python-password-fast-hash
    return hashlib.sha256(data).hexdigest()
