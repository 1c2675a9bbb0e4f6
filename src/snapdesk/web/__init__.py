"""The browser pages SnapDesk serves itself: the customer chat (`/`), the operator console (`/admin`), the widget."""
