"""The live class poll: rooms a teacher opens with a short code, students' answers aggregated, the model's own answer."""
