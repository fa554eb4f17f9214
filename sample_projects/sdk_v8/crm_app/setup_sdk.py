"""SDK start-up: data centre, OAuth token, token store and field-metadata directory."""

import os

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api.dc import USDataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

RESOURCE_PATH = os.environ.get("CRM_APP_RESOURCES", "/var/lib/crm_app")


class SDKInitializer(object):

    @staticmethod
    def initialize():
        logger = Logger.get_instance(level=Logger.Levels.INFO, file_path=os.path.join(RESOURCE_PATH, "sdk.log"))
        environment = USDataCenter.PRODUCTION()
        # find_user is left at its default (True): the SDK looks up the current user and org when it
        # generates the access token.
        token = OAuthToken(client_id=os.environ["ZOHO_CLIENT_ID"], client_secret=os.environ["ZOHO_CLIENT_SECRET"],
                           refresh_token=os.environ["ZOHO_REFRESH_TOKEN"], redirect_url="https://example.com/callback")
        store = FileStore(file_path=os.path.join(RESOURCE_PATH, "tokens.txt"))
        config = SDKConfig(auto_refresh_fields=False, pick_list_validation=False)
        Initializer.initialize(environment=environment, token=token, store=store, sdk_config=config,
                               resource_path=RESOURCE_PATH, logger=logger)
