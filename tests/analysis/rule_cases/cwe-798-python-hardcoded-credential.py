import os

import MySQLdb

# ruleid: cwe-798-python-hardcoded-credential
PASSWORD = "hunter2"
# ok: cwe-798-python-hardcoded-credential
password = os.environ["DB_PASSWORD"]


def connect():
    # ruleid: cwe-798-python-hardcoded-credential
    return MySQLdb.connect(host="localhost", user="root", passwd="root", db="db")


def connect_from_env():
    # ok: cwe-798-python-hardcoded-credential
    return MySQLdb.connect(host="localhost", user="root", passwd=os.environ["DB_PASSWORD"], db="db")
