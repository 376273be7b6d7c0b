#!/usr/bin/env bash
# A ZoneMinder on loopback, for development and CI (Debian bookworm, as root, no systemd).
#
#   scripts/zoneminder.sh start    install if missing, start MariaDB, Apache and ZoneMinder
#   scripts/zoneminder.sh status   say whether each part runs
#   scripts/zoneminder.sh stop     stop what `start` started, by PID
#
# `start` ends by writing $ZM_STATE/env (mode 600), to be sourced:
#   ZM_URL=http://127.0.0.1:8080/zm  ZM_USER=vmsops-ci  ZM_PASSWORD=…
# plus the same values as VMSOPS_ZM_URL / VMSOPS_ZM_USER / VMSOPS_ZM_PASSWORD for the
# integration tests. `ZM_USER` is a nominative account with API use; the generic
# `admin` gets a random password (in $ZM_STATE/admin-password) and is only used here,
# once, to create that account.
#
# Everything listens on 127.0.0.1 only: MariaDB on its socket and 127.0.0.1:3306,
# Apache on 127.0.0.1:${ZM_PORT:-8080}.
#
# Run it as root. From another account it runs itself again through sudo (keeping ZM_*),
# and `start` then gives that account its env file, so that `. "$ZM_STATE/env"` works
# for whoever asked. As root, no sudo is needed (nor, in a container, installed).
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "zoneminder.sh: error: run as root (sudo is not installed)" >&2; exit 1; }
  exec sudo --preserve-env=ZM_STATE,ZM_PORT,ZM_ACCOUNT "$0" "$@"
fi

ZM_STATE=${ZM_STATE:-/tmp/vmsops-zoneminder}
ZM_PORT=${ZM_PORT:-8080}
ZM_ACCOUNT=${ZM_ACCOUNT:-vmsops-ci}
URL="http://127.0.0.1:${ZM_PORT}/zm"
PACKAGES=(zoneminder default-mysql-server apache2 libapache2-mod-php ffmpeg)
SOCKET=/run/mysqld/mysqld.sock

log() { printf 'zoneminder.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-"$1"; }

install() {
  if dpkg-query -W -f='${Status}' zoneminder 2>/dev/null | grep -q 'install ok installed' &&
     command -v mariadbd >/dev/null && command -v apache2ctl >/dev/null && command -v ffmpeg >/dev/null; then
    return
  fi
  log "installing ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
}

start_mariadb() {
  if alive "$ZM_STATE/mariadb.pid"; then return; fi
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  if [[ ! -d /var/lib/mysql/mysql ]]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=127.0.0.1 --port=3306 \
    --socket="$SOCKET" --pid-file=/run/mysqld/mysqld.pid \
    >"$ZM_STATE/mariadb.log" 2>&1 &
  echo $! >"$ZM_STATE/mariadb.pid"
  for _ in $(seq 1 100); do
    mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1 && return
    alive "$ZM_STATE/mariadb.pid" || break
    sleep 0.2
  done
  cat "$ZM_STATE/mariadb.log" >&2
  die "MariaDB did not start"
}

sql() { mariadb -uroot "$@"; }

load_database() {
  # shellcheck disable=SC1091
  . /etc/zm/zm.conf
  if ! sql -e 'SELECT 1 FROM zm.Config LIMIT 1' >/dev/null 2>&1; then
    log "loading the ZoneMinder schema"
    sql </usr/share/zoneminder/db/zm_create.sql
  fi
  sql -e "CREATE USER IF NOT EXISTS '${ZM_DB_USER}'@'localhost' IDENTIFIED BY '${ZM_DB_PASS}';
          ALTER USER '${ZM_DB_USER}'@'localhost' IDENTIFIED BY '${ZM_DB_PASS}';
          GRANT ALL ON \`${ZM_DB_NAME}\`.* TO '${ZM_DB_USER}'@'localhost'; FLUSH PRIVILEGES;"
  local secret admin_password
  secret=$(random 48)
  admin_password=$(random 24)
  umask 077
  printf '%s\n' "$admin_password" >"$ZM_STATE/admin-password"
  # Auth on, a unique token secret, the API on; the generic admin gets a random password.
  sql zm -e "UPDATE Config SET Value='1' WHERE Name IN ('ZM_OPT_USE_AUTH','ZM_OPT_USE_API');
             UPDATE Config SET Value='${secret}' WHERE Name='ZM_AUTH_HASH_SECRET';
             UPDATE Config SET Value='0' WHERE Name='ZM_OPT_USE_LEGACY_API_AUTH';
             UPDATE Config SET Value='0' WHERE Name='ZM_SHOW_PRIVACY';
             UPDATE Users SET APIEnabled=1, Password=PASSWORD('${admin_password}') WHERE Username='admin';"
  chgrp www-data /etc/zm/zm.conf
  chmod 640 /etc/zm/zm.conf
}

configure_apache() {
  echo "Listen 127.0.0.1:${ZM_PORT}" >/etc/apache2/ports.conf
  # The Debian package ships no .htaccess for the CakePHP API: the same rules here.
  cat >/etc/apache2/conf-available/zoneminder-api.conf <<'EOF'
<Directory /usr/share/zoneminder/www/api>
    RewriteEngine On
    RewriteBase /zm/api
    RewriteRule ^$ app/webroot/ [L]
    RewriteRule (.*) app/webroot/$1 [L]
</Directory>
<Directory /usr/share/zoneminder/www/api/app>
    RewriteEngine On
    RewriteBase /zm/api/app
    RewriteRule ^$ webroot/ [L]
    RewriteRule (.*) webroot/$1 [L]
</Directory>
<Directory /usr/share/zoneminder/www/api/app/webroot>
    RewriteEngine On
    RewriteBase /zm/api/app/webroot
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteRule ^ index.php [L]
</Directory>
EOF
  local ini
  for ini in /etc/php/*/apache2/conf.d; do
    echo 'date.timezone = UTC' >"$ini/99-vmsops-zoneminder.ini"
  done
  a2dissite -q 000-default >/dev/null 2>&1 || true
  a2enconf -q zoneminder zoneminder-api >/dev/null
  a2enmod -q cgi rewrite >/dev/null
}

start_apache() {
  set +u
  # shellcheck disable=SC1091
  . /etc/apache2/envvars
  set -u
  mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
  if alive "$APACHE_PID_FILE"; then
    apache2ctl graceful
  else
    apache2ctl start
  fi
  for _ in $(seq 1 50); do
    alive "$APACHE_PID_FILE" && { cp "$APACHE_PID_FILE" "$ZM_STATE/apache.pid"; return; }
    sleep 0.1
  done
  die "Apache did not start"
}

start_zoneminder() {
  mkdir -p /run/zm /var/cache/zoneminder/events /var/log/zm
  chown www-data:www-data /run/zm /var/cache/zoneminder /var/cache/zoneminder/events /var/log/zm
  zmpkg.pl start >"$ZM_STATE/zmpkg.log" 2>&1 || { cat "$ZM_STATE/zmpkg.log" >&2; die "zmpkg.pl start failed"; }
}

login() { # user password → access token (stdout)
  curl -sf --max-time 10 -X POST "$URL/api/host/login.json" \
    --data-urlencode "user=$1" --data-urlencode "pass=$2" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

wait_for_api() {
  local admin_password token=""
  admin_password=$(cat "$ZM_STATE/admin-password")
  for _ in $(seq 1 100); do
    token=$(login admin "$admin_password" || true)
    [[ -n $token ]] && break
    sleep 0.2
  done
  [[ -n $token ]] || die "POST $URL/api/host/login.json never answered with a token (see /var/log/apache2/error.log)"
  printf '%s' "$token"
}

create_account() { # admin token → password of the nominative account
  local token=$1 password
  password=$(random 24)
  sql zm -e "DELETE FROM Users WHERE Username='${ZM_ACCOUNT}';"
  curl -sf --max-time 10 -o /dev/null -X POST "$URL/api/users.json?token=$token" \
    --data-urlencode "User[Username]=${ZM_ACCOUNT}" --data-urlencode "User[Password]=${password}" \
    -d 'User[Enabled]=1' -d 'User[System]=Edit' -d 'User[Monitors]=Edit' -d 'User[Events]=Edit' \
    -d 'User[Stream]=View' -d 'User[APIEnabled]=1' || die "cannot create the account ${ZM_ACCOUNT}"
  [[ -n $(login "$ZM_ACCOUNT" "$password") ]] || die "the account ${ZM_ACCOUNT} cannot log in"
  printf '%s' "$password"
}

write_env() { # password → $ZM_STATE/env, mode 600, owned by whoever ran sudo (else root)
  umask 077
  cat >"$ZM_STATE/env" <<EOF
export ZM_URL=$URL
export ZM_USER=$ZM_ACCOUNT
export ZM_PASSWORD=$1
export VMSOPS_ZM_URL=$URL
export VMSOPS_ZM_USER=$ZM_ACCOUNT
export VMSOPS_ZM_PASSWORD=$1
EOF
  if [[ -n ${SUDO_UID:-} && $SUDO_UID != 0 ]]; then
    # That account sources the file: it may enter the folder (not list it) and read only this file.
    chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$ZM_STATE/env"
    chmod 711 "$ZM_STATE"
  fi
}

start() {
  # A folder that another account made first (it defaults to one under /tmp) could hold
  # a symlink that root would then write through: only root's own folder is used.
  if [[ -L $ZM_STATE || ( -e $ZM_STATE && $(stat -c %u "$ZM_STATE") != 0 ) ]]; then
    echo "zoneminder.sh: $ZM_STATE exists and is not root's own folder; remove it or set ZM_STATE" >&2
    exit 1
  fi
  mkdir -p "$ZM_STATE"
  chmod 700 "$ZM_STATE"
  rm -f "$ZM_STATE/env"
  install
  start_mariadb
  load_database
  configure_apache
  start_apache
  start_zoneminder
  local token password
  token=$(wait_for_api)
  password=$(create_account "$token")
  write_env "$password"
  log "ZoneMinder is up at $URL (account $ZM_ACCOUNT)"
  echo "source $ZM_STATE/env   # sets ZM_URL, ZM_USER, ZM_PASSWORD and VMSOPS_ZM_*"
}

stop_pid() { # name pidfile
  if alive "$2"; then
    local pid
    pid=$(cat "$2")
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$2"
}

stop() {
  if command -v zmpkg.pl >/dev/null && alive "$ZM_STATE/mariadb.pid"; then
    zmpkg.pl stop >/dev/null 2>&1 || true
  fi
  stop_pid Apache "$ZM_STATE/apache.pid"
  stop_pid MariaDB "$ZM_STATE/mariadb.pid"
}

status() {
  local rc=0 part
  for part in mariadb apache; do
    if alive "$ZM_STATE/$part.pid"; then echo "$part: running (pid $(cat "$ZM_STATE/$part.pid"))"; else echo "$part: stopped"; rc=1; fi
  done
  if curl -s -o /dev/null --max-time 5 -X POST "$URL/api/host/login.json"; then echo "api: answering at $URL"; else echo "api: not answering"; rc=1; fi
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
