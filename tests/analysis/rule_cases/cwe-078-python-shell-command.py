import os
import shlex
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/ls")
def ls():
    dirname = request.args.get('dirname')
    # ruleid: cwe-078-python-shell-command
    os.system("ls " + dirname)
    # ruleid: cwe-078-python-shell-command
    output = subprocess.check_output(f"ls {dirname}", shell=True)
    # ok: cwe-078-python-shell-command
    output = subprocess.check_output(["ls", dirname])
    # ok: cwe-078-python-shell-command
    subprocess.run(["ls", "-l", dirname], check=True)
    # ok: cwe-078-python-shell-command
    os.system("ls " + shlex.quote(dirname))
    # ok: cwe-078-python-shell-command
    os.system("ls /tmp")
    return output


@app.route("/user_info")
def user_info():
    username = request.args.get('username')
    command = "id %s" % username
    # ruleid: cwe-078-python-shell-command
    stream = os.popen(command)
    # ruleid: cwe-078-python-shell-command
    subprocess.call(request.args["cmd"], shell=True)
    # ok: cwe-078-python-shell-command
    subprocess.call(command, shell=False)
    return stream.read()


def ping(url):
    # ruleid: cwe-078-python-shell-command
    return subprocess.getoutput("ping -c 1 {}".format(url))


class Repository:
    def __init__(self, path):
        self.path = path

    def status(self):
        # ok: cwe-078-python-shell-command
        return os.system("git status")

    def checkout(self, branch):
        # ruleid: cwe-078-python-shell-command
        os.system(f"git checkout {branch}")
        # ok: cwe-078-python-shell-command
        subprocess.run(["git", "checkout", branch], check=True)


def ping_host(host):
    # With shell=True only a sequence's first item is the command line (`sh -c FIRST`);
    # the later items become the shell's $0, $1, ... and are never parsed as commands.
    # ok: cwe-078-python-shell-command
    subprocess.run(["ping -c 1 localhost", host], shell=True, check=True)
    # ok: cwe-078-python-shell-command
    subprocess.run(("uptime", host), shell=True, check=True)
    # ruleid: cwe-078-python-shell-command
    subprocess.run([f"ping -c 1 {host}"], shell=True, check=True)
    # ruleid: cwe-078-python-shell-command
    subprocess.check_call(("nslookup " + host, "-timeout=5"), shell=True)
    # ruleid: cwe-078-python-shell-command
    subprocess.run("ping -c 1 " + host, shell=True, check=True)
