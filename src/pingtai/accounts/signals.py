import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from pingtai.accounts.middleware import LOGIN_AT


@receiver(user_logged_in)
def _remember_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()
