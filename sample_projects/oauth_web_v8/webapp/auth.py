"""The OAuth web-server flow: send the user to Zoho's consent screen, trade the code for tokens."""
import requests

from webapp import settings

SCOPE = ",".join(settings.ZOHO_SCOPES)


def authorization_url(state):
    """Where the "Sign in with Zoho" button points."""
    return (f"{settings.ACCOUNTS}/oauth/v2/auth?scope={SCOPE}&client_id={settings.CLIENT_ID}"
            f"&response_type=code&access_type=offline&redirect_uri={settings.REDIRECT_URI}&state={state}")


def exchange_code(code):
    """The grant code for an access and refresh token: no scope here, the consent screen fixed it."""
    resp = requests.post(f"{settings.ACCOUNTS}/oauth/v2/token", data={
        "grant_type": "authorization_code",
        "client_id": settings.CLIENT_ID,
        "client_secret": settings.CLIENT_SECRET,
        "redirect_uri": settings.REDIRECT_URI,
        "code": code,
    }, timeout=30)
    resp.raise_for_status()
    return resp.json()
