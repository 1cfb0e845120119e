import hashlib
import os


def create_user(username, pwd):
    salt = os.urandom(8).hex()
    digest = hashlib.md5((salt + pwd).encode()).hexdigest()
    return {"username": username, "salt": salt, "hash": digest}
