import hashlib


def store_credentials(db, user, secret):
    hashed = hashlib.sha1(secret.encode()).hexdigest()
    db[user] = hashed
