// The system's SQLite (Debian: libsqlite3-dev), the manager's embedded store.
#include <sqlite3.h>
