"""Telling citizens: messages to WhatsApp, Telegram, SMS and e-mail through a durable
outbox (`outbox`), made once per (incident, reporter, step) and sent with retries."""
