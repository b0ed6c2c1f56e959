"""The signed-in home page, at the site's root (included by ``portal.urls``)."""

from django.urls import path

from accounts import views

urlpatterns = [path("", views.home, name="home")]
