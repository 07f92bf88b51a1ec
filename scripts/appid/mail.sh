#!/usr/bin/env bash
# Real mail traffic for the App-ID tests: SMTP (Python's smtpd as the server, swaks as the
# client), IMAP and POP3 (dovecot with a static password database, curl as the client).
# Every server listens on its standard port and a non-standard one.
#   scripts/appid/mail.sh OUTDIR      (writes OUTDIR/mail.pcap and OUTDIR/mail.labels)
source "$(dirname "$0")/lib.sh"
appid_begin mail "${1:?usage: $0 OUTDIR}"
chmod 755 "$WORK"

# SMTP: Python 3.11 still ships smtpd (removed in 3.12); its greeting does not say ESMTP,
# so the client's EHLO is what proves SMTP here. It takes IPv4 addresses only.
serve python3 -W ignore -m smtpd -n -c DebuggingServer "$SRV4:25"
serve python3 -W ignore -m smtpd -n -c DebuggingServer "$SRV4:2525"

mkdir -p "$WORK/dovecot/run" "$WORK/mail"
chmod 777 "$WORK/mail"
cat >"$WORK/dovecot/dovecot.conf" <<CFG
protocols = imap pop3
listen = *, ::
base_dir = $WORK/dovecot/run
state_dir = $WORK/dovecot/run
log_path = $WORK/dovecot/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$WORK/mail/%u
}
mail_location = maildir:$WORK/mail/%u
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imap-alt {
    port = 1143
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3-alt {
    port = 1110
  }
}
CFG
serve dovecot -F -c "$WORK/dovecot/dovecot.conf"

for p in 25 2525 143 1143 110 1110; do wait_port t $p; done
capture_start
label tcp 25 smtp
label tcp 2525 smtp
label tcp 143 imap
label tcp 1143 imap
label tcp 110 pop3
label tcp 1110 pop3

cli swaks --to user@example.org --from tester@example.net --server "$SRV4:25" --helo client.example.net >/dev/null
cli swaks --to user@example.org --server "$SRV4:2525" --helo client.example.net >/dev/null
cli curl -sS -o /dev/null "imap://alice:secret@$SRV4/INBOX"
cli curl -sS -o /dev/null "imap://alice:secret@[$SRV6]:1143/INBOX"
cli curl -sS -o /dev/null "pop3://alice:secret@$SRV4/"
cli curl -sS -o /dev/null "pop3://alice:secret@[$SRV6]:1110/"
# A raw session whose first commands are LOGIN and USER (no CAPABILITY / CAPA first).
cli bash -c "printf 'a1 LOGIN bob secret\r\na2 LOGOUT\r\n' | socat - TCP:$SRV4:1143" >/dev/null
cli bash -c "printf 'USER bob\r\nPASS secret\r\nQUIT\r\n' | socat - TCP:$SRV4:110" >/dev/null
capture_stop
