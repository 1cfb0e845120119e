from jinja2 import Environment, FileSystemLoader, select_autoescape
import jinja2

loader = FileSystemLoader(searchpath="templates/")


def create_env():
    global env
    # ruleid: cwe-079-python-jinja2-autoescape
    env = Environment(loader=loader)


def create_env_escaped():
    global env
    # ok: cwe-079-python-jinja2-autoescape
    env = Environment(loader=loader, autoescape=select_autoescape(['html', 'xml']))


def create_env_off():
    # ruleid: cwe-079-python-jinja2-autoescape
    return jinja2.Environment(loader=loader, autoescape=False)


def create_env_on():
    # ok: cwe-079-python-jinja2-autoescape
    return jinja2.Environment(loader=loader, autoescape=True)
