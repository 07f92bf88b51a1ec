#!/usr/bin/env bash
# Real database and remote-access traffic for the App-ID tests: sshd + ssh, PostgreSQL +
# psql (with and without sslmode=disable, so both the SSLRequest and the plain
# StartupMessage appear), MariaDB + the mariadb client, redis-server + redis-cli (RESP)
# and a raw inline PING. Every server listens on its standard port and a non-standard one.
#   scripts/appid/db.sh OUTDIR        (writes OUTDIR/db.pcap and OUTDIR/db.labels)
source "$(dirname "$0")/lib.sh"
appid_begin db "${1:?usage: $0 OUTDIR}"
chmod 755 "$WORK"

# sshd on 22 and 2222 with host keys made here; the login fails, the banners and KEX are the point.
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh_host_ed25519_key"
cat >"$WORK/sshd_config" <<CFG
Port 22
Port 2222
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $WORK/ssh_host_ed25519_key
PidFile $WORK/sshd.pid
UsePAM no
CFG
serve /usr/sbin/sshd -D -e -f "$WORK/sshd_config"

# PostgreSQL 15: one cluster made by initdb, copied so that two servers run (5432, 15432).
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
install -d -o postgres -g postgres "$WORK/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg/1" -A trust -U postgres >/dev/null
printf 'host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n' >>"$WORK/pg/1/pg_hba.conf"
runuser -u postgres -- cp -a "$WORK/pg/1" "$WORK/pg/2"
serve runuser -u postgres -- "$PGBIN/postgres" -D "$WORK/pg/1" -k "$WORK/pg" -p 5432 -c "listen_addresses=$SRV4,$SRV6"
serve runuser -u postgres -- "$PGBIN/postgres" -D "$WORK/pg/2" -k "$WORK/pg" -p 15432 -c "listen_addresses=$SRV4,$SRV6"

# MariaDB: one data directory installed, copied; grant tables skipped so any user logs in.
mariadb-install-db --user=root --datadir="$WORK/my1" --auth-root-authentication-method=normal >/dev/null 2>&1
cp -a "$WORK/my1" "$WORK/my2"
for n in 1 2; do
    port=$([[ $n == 1 ]] && echo 3306 || echo 13306)
    serve mariadbd --no-defaults --user=root --datadir="$WORK/my$n" --socket="$WORK/my$n.sock" \
        --pid-file="$WORK/my$n.pid" --port=$port --bind-address='*' --skip-grant-tables --skip-name-resolve
done

# Redis on 6379 and 16379.
serve redis-server --port 6379 --bind "$SRV4 $SRV6" --save '' --appendonly no --protected-mode no --dir "$WORK"
serve redis-server --port 16379 --bind "$SRV4 $SRV6" --save '' --appendonly no --protected-mode no --dir "$WORK"

for p in 22 2222 5432 15432 3306 13306 6379 16379; do wait_port t $p; done
capture_start
label tcp 22 ssh
label tcp 2222 ssh
label tcp 5432 postgresql
label tcp 15432 postgresql
label tcp 3306 mysql
label tcp 13306 mysql
label tcp 6379 redis
label tcp 16379 redis

SSH=(ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5)
cli "${SSH[@]}" "nobody@$SRV4" true >/dev/null 2>&1 || true
cli "${SSH[@]}" -p 2222 "nobody@$SRV6" true >/dev/null 2>&1 || true

cli psql "host=$SRV4 port=5432 user=postgres dbname=postgres sslmode=disable application_name=rampart-test" -c 'select 1' >/dev/null
cli psql "host=$SRV6 port=5432 user=postgres dbname=template1" -c 'select 2' >/dev/null
cli psql "host=$SRV4 port=15432 user=postgres dbname=postgres" -c 'select 3' >/dev/null
cli psql "host=$SRV6 port=15432 user=postgres dbname=postgres sslmode=disable" -c 'select 4' >/dev/null

cli mariadb -h "$SRV4" -P 3306 -u tester -e 'select version()' >/dev/null
cli mariadb -h "$SRV6" -P 13306 -u appuser --skip-ssl -e 'select 1' >/dev/null

cli redis-cli -h "$SRV4" -p 6379 ping >/dev/null
cli redis-cli -h "$SRV4" -p 6379 set greeting hello >/dev/null
cli redis-cli -h "$SRV6" -p 16379 get greeting >/dev/null
cli redis-cli -3 -h "$SRV4" -p 16379 info server >/dev/null
cli bash -c "printf 'PING\r\nQUIT\r\n' | socat - TCP:$SRV4:6379" >/dev/null
capture_stop
