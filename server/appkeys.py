"""Typed keys for what the application holds. Set up and torn down in `cleanup_ctx`."""

from __future__ import annotations

import asyncio

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from evidence.store import ObjectStore
from media.rooms import Rooms
from server.chat import ChatLogs
from server.recording.service import RecordingService
from server.services.notifications import Notifications
from server.settings import Settings
from server.supervisor import Supervisor
from server.transcribe.live import LiveTranscription
from server.transcribe.runner import TranscriptionRunner
from server.uploads.pending import Journal

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker)
STORE = web.AppKey("store", ObjectStore)
SIGNING_KEY = web.AppKey("signing_key", Ed25519PrivateKey)
ROOMS = web.AppKey("rooms", Rooms)
JOURNAL = web.AppKey("journal", Journal)  # uploads between the store and the database
COMPLAINT_JOURNAL = web.AppKey("complaint_journal", Journal)  # complainants' files, likewise
LOGIN_SLOTS = web.AppKey("login_slots", asyncio.Semaphore)
RECORDINGS = web.AppKey("recordings", RecordingService)
CHAT = web.AppKey("chat", ChatLogs)  # interview chat: kept, relayed, stored as evidence
TRANSCRIPTION = web.AppKey("transcription", TranscriptionRunner)
NOTIFICATIONS = web.AppKey("notifications", Notifications)  # messages to parties' phones
LIVE: web.AppKey[LiveTranscription | None] = web.AppKey("live_transcription")  # None: captions off
BUNDLE_EXPORTS: web.AppKey[dict] = web.AppKey("bundle_exports", dict)  # ticket → views.bundles.Export
SUPERVISOR = web.AppKey("supervisor", Supervisor)  # every background loop of the app
