from django.urls import path

from scoring import views

app_name = "scoring"

urlpatterns = [
    path("credit-lines/unusable/", views.unusable_lines, name="unusable_lines"),
    path("customers/", views.customer_search, name="customer_search"),
]
