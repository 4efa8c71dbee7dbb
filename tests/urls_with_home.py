"""A host URLconf with a home page of its own (for the admin's "View site" link)."""

from django.http import HttpResponse
from django.urls import path

from .urls import urlpatterns as base

urlpatterns = [path("", lambda request: HttpResponse("home"), name="home"), *base]
