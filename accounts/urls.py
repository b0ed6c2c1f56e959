from django.urls import path

from accounts import two_factor, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", two_factor.sign_in_code, name="sign_in_code"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("two-factor/", two_factor.two_factor, name="two_factor"),
    path("two-factor/remove/", two_factor.two_factor_remove, name="two_factor_remove"),
]
