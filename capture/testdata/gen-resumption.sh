set -e
WORK=${WORK:-$(mktemp -d)}; cd "$WORK"
rm -f keylog.txt cap.pcap s*.sess
tcpdump -i lo -U -w cap.pcap 'tcp port 45101 or tcp port 45102' 2>/dev/null & TD=$!
sleep 1
openssl s_server -accept 45101 -cert c.pem -key k.pem -no_ticket -naccept 2 -quiet -www >/dev/null 2>&1 & S1=$!
openssl s_server -accept 45102 -cert c.pem -key k.pem -naccept 4 -quiet -www >/dev/null 2>&1 & S2=$!
sleep 1
c() { echo -e "GET / HTTP/1.0\r\n\r\n" | timeout 5 openssl s_client -connect 127.0.0.1:$1 -keylogfile keylog.txt -quiet "${@:2}" >/dev/null 2>&1 || true; sleep 0.3; }
c 45101 -tls1_2 -no_ticket -sess_out s1.sess
c 45101 -tls1_2 -no_ticket -sess_in s1.sess
c 45102 -tls1_2 -sess_out s2.sess
c 45102 -tls1_2 -sess_in s2.sess
c 45102 -tls1_3 -sess_out s3.sess
c 45102 -tls1_3 -sess_in s3.sess
sleep 1
kill $TD; wait $TD || true
kill $S1 $S2 2>/dev/null || true
