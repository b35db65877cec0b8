"""content: a headless CMS. Content types define fields; entries hold their values per locale
as a draft; publishing freezes a snapshot that the delivery API serves (with fallback to the
default locale) and that is announced on content.events through the outbox."""

SERVICE = "content"
TOPIC = "content.events"
