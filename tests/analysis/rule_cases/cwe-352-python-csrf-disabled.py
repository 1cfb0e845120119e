from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from flask import Flask

app = Flask(__name__)
# ruleid: cwe-352-python-csrf-disabled
app.config["WTF_CSRF_ENABLED"] = False
# ok: cwe-352-python-csrf-disabled
app.config["WTF_CSRF_TIME_LIMIT"] = None


# ruleid: cwe-352-python-csrf-disabled
@csrf_exempt
def update_profile(request):
    return HttpResponse("ok")


# ok: cwe-352-python-csrf-disabled
@csrf_protect
def update_email(request):
    return HttpResponse("ok")
