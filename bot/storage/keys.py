"""The one place Redis key names are built. Every key family has one writer (DESIGN.md).

Rasa's tracker and lock stores live in their own database (see launcher.TRACKER_DB); ours all start
with `fd:` ("front door").
"""

from __future__ import annotations

PREFIX = "fd"


def nonce(timestamp: str, nonce_value: str) -> str:
    """Written by the signature check: which message a (timestamp, nonce) pair was first used for."""
    return f"{PREFIX}:nonce:{timestamp}:{nonce_value}"


def message(dedupe_key: str) -> str:
    """Hash written by the 5-second contract: one inbound message's state, deliveries and answer."""
    return f"{PREFIX}:msg:{dedupe_key}"


def message_expiry() -> str:
    """Sorted set of messages by the time their retry window has surely closed (the sweeper's list)."""
    return f"{PREFIX}:msg:expiry"


def inbox() -> str:
    """Stream of accepted messages waiting for Rasa; worked by every gateway's inbox worker."""
    return f"{PREFIX}:inbox"


def inbox_pace() -> str:
    """Hash: how fast the inbox workers finish messages while some wait (admission's estimate of how long a
    new message would wait); a finished-messages counter and the last sample."""
    return f"{PREFIX}:inbox:pace"


def answered_channel() -> str:
    """Pub/sub channel: the dedupe key of each message whose answer was just stored, so a delivery waiting
    in any gateway takes it at once instead of polling."""
    return f"{PREFIX}:answered"


def inbox_group() -> str:
    """The inbox workers' consumer group: one for all gateways, so each message is worked once."""
    return "gateway"


def outbox() -> str:
    """Stream of customer-service sends; worked by every gateway's outbox sender."""
    return f"{PREFIX}:outbox"


def outbox_sent(entry_id: str) -> str:
    """Marks one outbox entry as delivered to WeChat, so a crash before the ack does not send twice."""
    return f"{PREFIX}:outbox:sent:{entry_id}"


def outbox_refused() -> str:
    """Hash: reason → how many outbox texts were never delivered (WeChat's quota and refusals, given up)."""
    return f"{PREFIX}:outbox:refused"


def outbox_delayed() -> str:
    """Sorted set of outbox entries waiting for their retry time (score: epoch seconds)."""
    return f"{PREFIX}:outbox:delayed"


def turns(openid: str) -> str:
    """Hash per citizen: `issued`, the number given to their latest message, and `done`, the highest number
    answered. A worker answers message n only after n - 1, so a conversation is answered in order by any
    number of gateways."""
    return f"{PREFIX}:turns:{openid}"


def carried(openid: str) -> str:
    """List per citizen: deferred answers held back while a later message of theirs is still unanswered,
    sent together with that one's answer (one send of the few WeChat allows after the citizen's last
    message, instead of one per answer)."""
    return f"{PREFIX}:carried:{openid}"


def carried_due() -> str:
    """Sorted set of citizens with carried answers, by the time they are sent whatever is still unanswered
    (the sweeper's safety net for a later message that never finishes)."""
    return f"{PREFIX}:carried:due"


def quota(openid: str) -> str:
    """Hash per citizen: the customer-service window they opened and the sends used in it."""
    return f"{PREFIX}:quota:{openid}"


def conversation(openid: str) -> str:
    """Hash per citizen: conversation state the gateway owns (mode, last delivery failure)."""
    return f"{PREFIX}:conv:{openid}"


def flood(openid: str, minute: int) -> str:
    """Counter of one citizen's messages in one minute (the flood throttle)."""
    return f"{PREFIX}:flood:{openid}:{minute}"


def flood_seen(dedupe_key: str) -> str:
    """Marks a message as counted by the flood throttle, so WeChat's retries are not counted again."""
    return f"{PREFIX}:flood:seen:{dedupe_key}"


def access_token() -> str:
    return f"{PREFIX}:wechat:access_token"


def access_token_lock() -> str:
    return f"{PREFIX}:wechat:access_token:lock"


def content(section: str) -> str:
    """Written by content loading (gateway start, `python -m bot content load`); read by the actions."""
    return f"{PREFIX}:content:{section}"


def content_audit() -> str:
    """Stream of every content change (who, when, section, item, before, after); written with the change."""
    return f"{PREFIX}:content:audit"


def announcement_notified(item_id: str) -> str:
    """Set of the citizens told about one announcement, so each is told once."""
    return f"{PREFIX}:content:notified:{item_id}"


def ticket_counter(day: str) -> str:
    """Daily counter behind ticket numbers 12315-YYYYMMDD-NNNN."""
    return f"{PREFIX}:ticket:counter:{day}"


def ticket(number: str) -> str:
    """Hash of one ticket; written only by the gateway's ticket store."""
    return f"{PREFIX}:ticket:{number}"


def ticket_history(number: str) -> str:
    """Stream of every change of one ticket (who, when, what)."""
    return f"{PREFIX}:ticket:{number}:history"


def ticket_messages(number: str) -> str:
    """Stream of what the citizen and the agents said after the handoff (the bot's part is the transcript)."""
    return f"{PREFIX}:ticket:{number}:messages"


def ticket_source(source: str) -> str:
    """Which ticket one inbound message opened, so a retried or reclaimed message opens no second one."""
    return f"{PREFIX}:ticket:source:{source}"


def ticket_queue() -> str:
    """Sorted set of queued ticket numbers (score: priority first, then waiting time)."""
    return f"{PREFIX}:tickets:queued"


def tickets_claimed() -> str:
    """Sorted set of claimed ticket numbers (score: when claimed)."""
    return f"{PREFIX}:tickets:claimed"


def tickets_closed() -> str:
    """Sorted set of closed ticket numbers (score: when closed)."""
    return f"{PREFIX}:tickets:closed"


def ticket_deadlines() -> str:
    """Sorted set of queued tickets by when they escalate if still unclaimed (the SLA timers)."""
    return f"{PREFIX}:tickets:deadlines"


def agent_tickets(agent_id: str) -> str:
    """Set of the tickets one agent holds (claimed, not closed)."""
    return f"{PREFIX}:agent:{agent_id}:tickets"


def mode(openid: str) -> str:
    """Hash per citizen: who answers them (bot, queued, agent), the ticket, a pending satisfaction question.
    Written only by the ticket store."""
    return f"{PREFIX}:mode:{openid}"


def desk_events() -> str:
    """Pub/sub channel of ticket changes, which the console streams to agents (SSE)."""
    return f"{PREFIX}:desk:events"


def alerts() -> str:
    """List of supervisor alerts (tickets left unclaimed too long), newest first."""
    return f"{PREFIX}:desk:alerts"


def agent(agent_id: str) -> str:
    """Hash of one agent account: name, role, password hash, disabled."""
    return f"{PREFIX}:agent:{agent_id}"


def agents() -> str:
    """Set of every agent id."""
    return f"{PREFIX}:agents"


def agents_online() -> str:
    """Sorted set of agents with the console open (score: last heartbeat)."""
    return f"{PREFIX}:agents:online"


def session(token_digest: str) -> str:
    """Hash of one console session, keyed by the digest of its cookie (a stolen dump holds no cookies)."""
    return f"{PREFIX}:session:{token_digest}"


def login_failures(subject: str) -> str:
    """Counter of failed logins for an agent id or a client address, expiring with the lockout window."""
    return f"{PREFIX}:login:failures:{subject}"


def intake(openid: str) -> str:
    """JSON of a citizen's complaint intake in progress (the form's answers and attachments so far)."""
    return f"{PREFIX}:intake:{openid}"


def intake_due() -> str:
    """Sorted set of citizens with an intake in progress, by when it counts as abandoned and is filed."""
    return f"{PREFIX}:intake:due"


def loose_evidence(openid: str) -> str:
    """List of the images and files a citizen sent outside a complaint intake, for a minute or ten: the first
    thing many citizens send is the photo, and the complaint that it belongs to comes after it."""
    return f"{PREFIX}:intake:loose:{openid}"


def turn_log() -> str:
    """Stream of citizens' messages as Rasa understood them (intent, confidence, the actions that answered),
    one entry per message, trimmed to the retention. Written by Rasa's event broker (rasa_server/turn_log.py),
    read by the daily report and the not-understood page. Its entry ids are the time Rasa logged the turn."""
    return f"{PREFIX}:turns"


def turn_logged(sender: str, message_id: str) -> str:
    """Marks one message as logged, so a tracker saved again later (a pause, a form reset) logs it once."""
    return f"{PREFIX}:turns:logged:{sender}:{message_id}"


def nlu_group_labels() -> str:
    """Hash: a not-understood group's key (its normalised first text) → the intent a maintainer gave it."""
    return f"{PREFIX}:nlu:group_labels"


def nlu_labelled() -> str:
    """Hash: a citizen's message → the intent a maintainer labelled it with; exported as Rasa NLU YAML."""
    return f"{PREFIX}:nlu:labelled"


def parse(model_id: str, text_digest: str, output_only: bool) -> str:
    """JSON of one text's parse by one model, shared by every Rasa worker and kept past a restart (written by
    rasa_server/parse_cache.py, expiring after RASA_PARSE_CACHE_SECONDS)."""
    return f"{PREFIX}:parse:{model_id}:{text_digest}:{int(output_only)}"


def conversation_lock(sender_id: str) -> str:
    """Sorted set, in Rasa's tracker database: the tickets waiting for or holding one conversation's turn,
    each member `<number>:<expiry ms>` scored by its number (rasa_server/lock_store.py). The braces keep it
    and its counter in one Redis Cluster slot, as its script needs."""
    return f"rasa:lock:{{{sender_id}}}"


def conversation_lock_counter(sender_id: str) -> str:
    """The last ticket number issued for one conversation's lock; expires with the lock's lifetime."""
    return f"rasa:lock:{{{sender_id}}}:next"
