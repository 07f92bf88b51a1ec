// The system's libpq (Debian: libpq-dev), the manager's client of a PostgreSQL log store.
#include <postgresql/libpq-fe.h>
