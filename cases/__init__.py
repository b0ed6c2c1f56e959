"""Cases and queues, claiming, decisions with four-eyes approval, intake (see DESIGN.md)."""
