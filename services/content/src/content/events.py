"""What the content service publishes on content.events: each event type's data model per
version (the contracts under contracts/events/content are generated from these)."""

from content.entries.schemas import EntryPublished, EntryWithdrawn
from content.types.schemas import ContentTypeOut
from mach_service_kit.events import Registry

EVENTS: Registry = {
    "content.ContentTypeCreated": {1: ContentTypeOut},
    "content.ContentTypeUpdated": {1: ContentTypeOut},
    "content.EntryPublished": {1: EntryPublished},
    "content.EntryUnpublished": {1: EntryWithdrawn},
    "content.EntryDeleted": {1: EntryWithdrawn},
}
