"""The portal stores nothing of its own: appeals and attachments belong to minyi.appeals."""
