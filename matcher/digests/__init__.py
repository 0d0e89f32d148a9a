"""Weekly and daily digest emails: planning, content, rendering, sending and recovery."""
