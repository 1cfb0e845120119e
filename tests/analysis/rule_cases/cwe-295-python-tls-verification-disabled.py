import ssl

import requests


def fetch(url):
    # ruleid: cwe-295-python-tls-verification-disabled
    insecure = requests.get(url, verify=False)
    # ok: cwe-295-python-tls-verification-disabled
    secure = requests.get(url, timeout=10)
    # ruleid: cwe-295-python-tls-verification-disabled
    context = ssl._create_unverified_context()
    strict = ssl.create_default_context()
    # ruleid: cwe-295-python-tls-verification-disabled
    strict.check_hostname = False
    # ruleid: cwe-295-python-tls-verification-disabled
    strict.verify_mode = ssl.CERT_NONE
    # ok: cwe-295-python-tls-verification-disabled
    strict.verify_mode = ssl.CERT_REQUIRED
    return insecure, secure, context
