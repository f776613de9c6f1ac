"""ResolutionAssist: troubleshooting chat sessions, their messages and the actions the AI suggests.

Sessions are personal: scoped by account AND user (a colleague in the same account cannot open
them). ``assist.services`` is the only place that loads them, always through both keys.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psa.models import Account

TITLE_MAX = 200


class AssistSession(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assist_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assist_sessions")
    title = models.CharField(max_length=TITLE_MAX)
    # The optional linked PSA ticket; its company and board pre-fill the New Ticket modal.
    linked_ticket_id = models.PositiveIntegerField(null=True, blank=True)
    linked_company_id = models.PositiveIntegerField(null=True, blank=True)
    linked_board_id = models.PositiveIntegerField(null=True, blank=True)
    linked_ticket_summary = models.CharField(max_length=200, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]
        indexes = [models.Index(fields=["account", "user", "-updated"])]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "Engineer"
        ASSISTANT = "assistant", "Assistant"

    session = models.ForeignKey(AssistSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()  # what the engineer sees: [ACTIONS] blocks stripped
    raw_text = models.TextField(blank=True, default="")  # exactly what the engine returned (history for the model)
    created = models.DateTimeField(auto_now_add=True)
    # On a user message: the assistant reply to it failed (the page shows Retry until one succeeds).
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"


class SessionAction(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    session = models.ForeignKey(AssistSession, on_delete=models.CASCADE, related_name="actions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="actions", null=True, blank=True)
    type = models.CharField(max_length=50)
    label = models.CharField(max_length=100)
    summary_hint = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_ticket_id = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    completed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.type}: {self.label} ({self.status})"
