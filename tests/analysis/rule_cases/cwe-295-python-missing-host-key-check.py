import paramiko
from paramiko.client import SSHClient, AutoAddPolicy, RejectPolicy


def connect():
    client = SSHClient()
    # ruleid: cwe-295-python-missing-host-key-check
    client.set_missing_host_key_policy(AutoAddPolicy())
    # ok: cwe-295-python-missing-host-key-check
    client.set_missing_host_key_policy(RejectPolicy())
    client.connect("example.com")


def connect_warning():
    client = paramiko.SSHClient()
    # ruleid: cwe-295-python-missing-host-key-check
    client.set_missing_host_key_policy(paramiko.WarningPolicy)
    client.load_system_host_keys()
    # ok: cwe-295-python-missing-host-key-check
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
