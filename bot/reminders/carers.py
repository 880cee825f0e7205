"""Carer links: a patient invites a trusted person, who is told when a reminder goes unmarked.

A link starts as a one-time invite: an unguessable token that works once, for INVITE_LIFETIME,
and can be cancelled. Only its SHA-256 is stored, so the database holds no working link. The
carer who accepts becomes a link between two private chats; /forget by either side deletes their
chat, and the database cascades to the link and to every alert sent through it.

Alerts ride on the reminder's follow-up: a patient with carers gets follow-ups on their private
reminders (CARER_FOLLOWUP_MINUTES), and when one falls due each carer is sent one alert. Each
(dose, carer) alert is claimed in the database before it is sent, so it goes out at most once;
the carer may ask for one nudge of the patient per alert.

A dose's reminder and its nudges carry the same Taken/Skip buttons and the alerts carry the
carer's: the message ids of all of them are kept (dose_messages), so once the dose is settled on
any one of them the others can stop offering buttons.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.database import Queries, storable_id
from bot.reminders.rows import ReminderRow, to_row
from bot.reminders.schema import (
    CarerAlert,
    CarerInvite,
    CarerLink,
    Chat,
    Dose,
    Reminder,
)

INVITE_LIFETIME: Final = timedelta(hours=24)
CARER_FOLLOWUP_MINUTES: Final = 120  # a private reminder unmarked this long alerts the carers
MAX_PENDING_INVITES: Final = 5
MAX_CARERS: Final = 10  # per patient
MAX_FOLLOWED: Final = 20  # patients per carer
TOKEN_BYTES: Final = 16  # 22 URL-safe characters: fits a /start payload and a button's data
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: int
    patient_id: int
    patient_name: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Invite:
    """A new invite and its token: the only time the token exists outside the person's chat."""

    token: str
    row: InviteRow


@dataclass(frozen=True, slots=True)
class LinkRow:
    id: int
    patient_id: int
    carer_id: int
    patient_name: str
    carer_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertClaim:
    """An alert this process now owns and must send, then record with record_alert."""

    alert_id: int
    carer_id: int
    patient_name: str


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """An alert as it was delivered: the carer's chat, the message, the patient's name there,
    and whether the carer has used its one "remind again" (so its buttons can be shown again)."""

    carer_id: int
    message_id: int
    patient_name: str
    nudged: bool


@dataclass(frozen=True, slots=True)
class DoseMessages:
    """The messages the bot sent with buttons for one dose: to close once it is settled."""

    in_chat: tuple[int, ...]  # in the dose's own chat: its reminder, then carers' nudges
    alerts: tuple[AlertMessage, ...]


Refusal = Literal["invalid", "self", "already", "full"]


def alert_name(reminder: ReminderRow, link: LinkRow | AlertClaim | AlertMessage) -> str:
    """Whose injection a carer's alert is about: the reminder's own person ("for Dad") if it
    names one, else the name the patient gave the link."""
    return reminder.for_whom or link.patient_name


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_token(text: str) -> bool:
    """Whether text has the shape of a token we make: anything else is not looked up."""
    return _TOKEN.fullmatch(text) is not None


def _link(model: CarerLink) -> LinkRow:
    return to_row(LinkRow, model)  # type: ignore[type-var]


def _invite(model: CarerInvite) -> InviteRow:
    return to_row(InviteRow, model)  # type: ignore[type-var]


async def carer_followup(session: AsyncSession, chat_id: int) -> int | None:
    """The follow-up a new reminder in this chat gets because its person has carers, if any."""
    linked = await session.scalar(
        select(CarerLink.id).where(CarerLink.patient_id == chat_id).limit(1)
    )
    return CARER_FOLLOWUP_MINUTES if linked is not None else None


async def release_followups(session: AsyncSession, patient_ids: set[int]) -> None:
    """Patients left without carers stop getting the follow-ups that were there for them."""
    for patient_id in patient_ids:
        if await carer_followup(session, patient_id) is None:
            await session.execute(
                update(Reminder)
                .where(
                    Reminder.chat_id == patient_id,
                    Reminder.followup_minutes == CARER_FOLLOWUP_MINUTES,
                )
                .values(followup_minutes=None)
            )


class CarerQueries(Queries):
    """Invites, links and alerts; both people of a link are private chats."""

    async def create_invite(self, patient_id: int, patient_name: str) -> Invite | None:
        """A new one-time invite; None if the patient already has MAX_PENDING_INVITES waiting.

        The patient's chat must be stored. Expired invites (anyone's) are deleted on the way.
        """
        if not 1 <= len(patient_name) <= 40:
            raise ValueError("patient_name must be 1 to 40 characters")
        now = self._clock()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        async with self._writing.begin() as session:
            await session.execute(delete(CarerInvite).where(CarerInvite.expires_at <= now))
            pending = await session.scalar(
                select(func.count()).where(CarerInvite.patient_id == patient_id)
            )
            if (pending or 0) >= MAX_PENDING_INVITES:
                return None
            invite = CarerInvite(
                token_hash=token_hash(token),
                patient_id=patient_id,
                patient_name=patient_name,
                created_at=now,
                expires_at=now + INVITE_LIFETIME,
            )
            session.add(invite)
            await session.flush()
            return Invite(token, _invite(invite))

    async def invite(self, token: str) -> InviteRow | None:
        """The invite a token opens, if it is still valid (not used, cancelled or expired)."""
        if not is_token(token):
            return None
        async with self._reading.begin() as session:
            invite = await session.scalar(
                select(CarerInvite).where(
                    CarerInvite.token_hash == token_hash(token),
                    CarerInvite.expires_at > self._clock(),
                )
            )
            return None if invite is None else _invite(invite)

    async def pending_invites(self, patient_id: int) -> list[InviteRow]:
        async with self._reading.begin() as session:
            found = await session.scalars(
                select(CarerInvite)
                .where(CarerInvite.patient_id == patient_id, CarerInvite.expires_at > self._clock())
                .order_by(CarerInvite.id)
            )
            return [_invite(invite) for invite in found]

    async def cancel_invites(self, patient_id: int, invite_id: int | None = None) -> int:
        """Cancel one of the patient's invites, or all of them; how many were cancelled."""
        if invite_id is not None and not storable_id(invite_id):
            return 0
        query = delete(CarerInvite).where(CarerInvite.patient_id == patient_id)
        if invite_id is not None:
            query = query.where(CarerInvite.id == invite_id)
        async with self._writing.begin() as session:
            return (await session.execute(query)).rowcount

    async def accept_invite(self, token: str, carer_id: int, carer_name: str) -> LinkRow | Refusal:
        """Use up an invite: the person who opened it becomes the patient's carer.

        One transaction: the invite is deleted as the link is made, so a token works once even
        when two people press at the same moment.
        """
        if not is_token(token):
            return "invalid"
        now = self._clock()
        async with self._writing.begin() as session:
            invite = await session.scalar(
                select(CarerInvite)
                .where(CarerInvite.token_hash == token_hash(token), CarerInvite.expires_at > now)
                .with_for_update()
            )
            if invite is None:
                return "invalid"
            patient_id = invite.patient_id
            if patient_id == carer_id:
                return "self"  # the invite stays, for the person it was meant for
            if await self._linked(session, patient_id, carer_id):
                await session.delete(invite)
                return "already"
            carers = await session.scalar(
                select(func.count()).where(CarerLink.patient_id == patient_id)
            )
            followed = await session.scalar(
                select(func.count()).where(CarerLink.carer_id == carer_id)
            )
            if (carers or 0) >= MAX_CARERS or (followed or 0) >= MAX_FOLLOWED:
                return "full"
            await session.execute(
                self._insert(Chat)
                .values(chat_id=carer_id, kind="private", paused=False, created_at=now)
                .on_conflict_do_nothing(index_elements=[Chat.chat_id])
            )
            link = CarerLink(
                patient_id=patient_id,
                carer_id=carer_id,
                patient_name=invite.patient_name,
                carer_name=carer_name[:64] or "Carer",
                created_at=now,
            )
            session.add(link)
            await session.delete(invite)
            # The patient's private reminders now follow up, which is when carers are told.
            await session.execute(
                update(Reminder)
                .where(Reminder.chat_id == patient_id, Reminder.followup_minutes.is_(None))
                .values(followup_minutes=CARER_FOLLOWUP_MINUTES)
            )
            await session.flush()
            return _link(link)

    async def _linked(self, session: AsyncSession, patient_id: int, carer_id: int) -> bool:
        found = await session.scalar(
            select(CarerLink.id).where(
                CarerLink.patient_id == patient_id, CarerLink.carer_id == carer_id
            )
        )
        return found is not None

    async def carers(self, patient_id: int) -> list[LinkRow]:
        """The patient's carers, in the order they joined."""
        return await self._links(CarerLink.patient_id == patient_id)

    async def followed(self, carer_id: int) -> list[LinkRow]:
        """The people this carer is told about."""
        return await self._links(CarerLink.carer_id == carer_id)

    async def _links(self, condition: ColumnElement[bool]) -> list[LinkRow]:
        async with self._reading.begin() as session:
            found = await session.scalars(select(CarerLink).where(condition).order_by(CarerLink.id))
            return [_link(link) for link in found]

    async def link_between(self, patient_id: int, carer_id: int) -> LinkRow | None:
        async with self._reading.begin() as session:
            link = await session.scalar(
                select(CarerLink).where(
                    CarerLink.patient_id == patient_id, CarerLink.carer_id == carer_id
                )
            )
            return None if link is None else _link(link)

    async def alerted_link(self, dose_id: int, carer_id: int) -> LinkRow | None:
        """The link through which this carer was alerted about this dose, if they were.

        A carer's buttons act only on a dose they were alerted about: a linked carer sending
        made-up callback data could otherwise mark any of the patient's doses.
        """
        if not storable_id(dose_id):
            return None
        async with self._reading.begin() as session:
            link = await session.scalar(
                select(CarerLink)
                .join(CarerAlert, CarerAlert.link_id == CarerLink.id)
                .where(CarerAlert.dose_id == dose_id, CarerLink.carer_id == carer_id)
            )
            return None if link is None else _link(link)

    async def remove_link(self, link_id: int, by_user: int) -> LinkRow | None:
        """Remove a link at either side's request; None if it is gone or not theirs to remove."""
        if not storable_id(link_id):
            return None
        async with self._writing.begin() as session:
            link = await session.get(CarerLink, link_id, with_for_update=True)
            if link is None or by_user not in {link.patient_id, link.carer_id}:
                return None
            row = _link(link)
            await session.delete(link)
            await session.flush()
            await release_followups(session, {row.patient_id})
            return row

    # -- alerts

    async def claim_carer_alerts(self, dose_id: int) -> list[AlertClaim]:
        """Claim one alert per carer of the dose's patient, for carers the bot can still reach.

        Only doses of a private reminder (the patient's own chat) have carers. A dose already
        alerted is not alerted again.
        """
        async with self._writing.begin() as session:
            found = await session.execute(
                select(CarerLink)
                .join(Reminder, Reminder.chat_id == CarerLink.patient_id)
                .join(Dose, Dose.reminder_id == Reminder.id)
                .join(Chat, Chat.chat_id == CarerLink.carer_id)
                .where(Dose.id == dose_id, Chat.paused == False)  # noqa: E712
                .order_by(CarerLink.id)
            )
            claims = []
            for (link,) in found:
                alert_id = await session.scalar(
                    self._insert(CarerAlert)
                    .values(
                        dose_id=dose_id, link_id=link.id, status="sending", created_at=self._clock()
                    )
                    .on_conflict_do_nothing(index_elements=[CarerAlert.dose_id, CarerAlert.link_id])
                    .returning(CarerAlert.id)
                )
                if alert_id is not None:
                    claims.append(AlertClaim(alert_id, link.carer_id, link.patient_name))
            return claims

    async def record_alert(self, alert_id: int, message_id: int | None) -> None:
        """Sent (with the message the carer's buttons are on) or, without one, failed."""
        async with self._writing.begin() as session:
            await session.execute(
                update(CarerAlert)
                .where(CarerAlert.id == alert_id)
                .values(status="sent" if message_id else "failed", message_id=message_id)
            )

    async def take_nudge(self, dose_id: int, carer_id: int) -> int | None:
        """The alert under which this carer may nudge the patient about this dose now, once per
        alert; None if they may not (not alerted, or nudged already)."""
        if not storable_id(dose_id):
            return None
        async with self._writing.begin() as session:
            alert = await session.scalar(
                select(CarerAlert)
                .join(CarerLink, CarerLink.id == CarerAlert.link_id)
                .where(CarerAlert.dose_id == dose_id, CarerLink.carer_id == carer_id)
                .with_for_update(of=CarerAlert)
            )
            if alert is None or alert.nudged_at is not None:
                return None
            alert.nudged_at = self._clock()
            return alert.id

    async def record_nudge(self, alert_id: int, message_id: int) -> None:
        """The message a nudge became: it carries the dose's buttons until the dose is settled."""
        async with self._writing.begin() as session:
            await session.execute(
                update(CarerAlert)
                .where(CarerAlert.id == alert_id)
                .values(nudge_message_id=message_id)
            )

    async def dose_messages(self, dose_id: int) -> DoseMessages:
        """Every message that carries (or, once the dose is settled, carried) buttons for this
        dose, wherever it was sent: to close them, or to open them again after an Undo.

        Only ids are read: whoever edits them says what the dose became.
        """
        if not storable_id(dose_id):
            return DoseMessages((), ())
        async with self._reading.begin() as session:
            reminder_message = await session.scalar(
                select(Dose.message_id).where(Dose.id == dose_id)
            )
            found = await session.execute(
                select(
                    CarerAlert.nudge_message_id,
                    CarerAlert.message_id,
                    CarerLink.carer_id,
                    CarerLink.patient_name,
                    CarerAlert.nudged_at.is_not(None),
                )
                .join(CarerLink, CarerLink.id == CarerAlert.link_id)
                .where(CarerAlert.dose_id == dose_id)
                .order_by(CarerAlert.id)
            )
            alerts = found.all()
        nudges = [nudge for nudge, *_ in alerts if nudge is not None]
        return DoseMessages(
            tuple(m for m in (reminder_message, *nudges) if m is not None),
            tuple(
                AlertMessage(carer_id, message_id, name, nudged)
                for _, message_id, carer_id, name, nudged in alerts
                if message_id is not None
            ),
        )
