"""Event subscribers of the mypage context."""
