"""Channels: templates (Liquid), email over SMTP, SMS over an HTTP gateway, webhooks, and the
signed links of tracking and consent. No database here: the delivery loop feeds them."""
