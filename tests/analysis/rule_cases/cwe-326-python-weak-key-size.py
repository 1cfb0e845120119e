import cryptography
from cryptography.hazmat.primitives.asymmetric import rsa, dsa


def custom_private_key(size):
    private_key = cryptography.hazmat.primitives.asymmetric.rsa.generate_private_key(
        public_exponent=65537,
        key_size=size,
        backend=cryptography.hazmat.backends.default_backend()
    )
    return private_key


def generate_keypair():
    # ruleid: cwe-326-python-weak-key-size
    private_key = custom_private_key(1024)
    # ok: cwe-326-python-weak-key-size
    strong_key = custom_private_key(2048)
    return private_key, strong_key


def direct():
    # ruleid: cwe-326-python-weak-key-size
    weak = rsa.generate_private_key(public_exponent=65537, key_size=512)
    # ok: cwe-326-python-weak-key-size
    strong = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    # ruleid: cwe-326-python-weak-key-size
    weak_dsa = dsa.generate_private_key(key_size=1024)
    return weak, strong, weak_dsa


def pycrypto_keys(RSA):
    # ruleid: cwe-326-python-weak-key-size
    weak = RSA.generate(1024)
    # ok: cwe-326-python-weak-key-size
    strong = RSA.generate(3072)
    return weak, strong
