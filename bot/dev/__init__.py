"""Development stand-ins for services a developer's machine cannot reach (WeChat's API).

`make run` uses them when no real WECHAT_APPID is configured, and the tests use the same code. Nothing in
production imports this package: the launcher starts it only for a development run without an account.
"""
