from django.http import HttpResponse, HttpResponseNotFound
from django.utils.html import escape
from tornado import escape as tornado_escape
from tornado.web import RequestHandler


def stats(request, realm_str):
    # ruleid: cwe-079-python-html-from-arguments
    return HttpResponseNotFound(f"Realm {realm_str} does not exist")


def stats_fixed(request, realm_str):
    # ok: cwe-079-python-html-from-arguments
    return HttpResponseNotFound()


def greet(request, name):
    # ok: cwe-079-python-html-from-arguments
    return HttpResponse("<p>Hello " + escape(name) + "</p>")


class LogHandler(RequestHandler):
    def show(self, error_log):
        # ruleid: cwe-079-python-html-from-arguments
        self.write(str(error_log))
        # ok: cwe-079-python-html-from-arguments
        self.write(tornado_escape.xhtml_escape(str(error_log)))
        # ok: cwe-079-python-html-from-arguments
        self.write("<pre>")
