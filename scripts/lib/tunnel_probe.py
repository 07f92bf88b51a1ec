#!/usr/bin/env python3
# One tunnelled UDP probe a millisecond through rampart-firewall on 127.0.0.1:16080 (VNI 7,
# 10.250.0.1 -> 10.250.0.2), timing each answer; run by scripts/bench-tag-batch.sh.
#   python3 scripts/lib/tunnel_probe.py SECONDS
import socket, struct, time, sys
def csum(b):
    if len(b)%2: b+=b"\0"
    s=sum(struct.unpack("!%dH"%(len(b)//2),b))
    while s>0xffff: s=(s&0xffff)+(s>>16)
    return ~s&0xffff
def frame(seq):
    src=bytes([10,250,0,1]); dst=bytes([10,250,0,2])
    payload=struct.pack("!Q",seq)
    udp=struct.pack("!HHHH",40000+(seq%1000),7000,8+len(payload),0)+payload
    c=csum(src+dst+struct.pack("!BBH",0,17,len(udp))+udp) or 0xffff
    udp=udp[:6]+struct.pack("!H",c)+udp[8:]
    ip=struct.pack("!BBHHHBBH4s4s",0x45,0,20+len(udp),seq&0xffff,0,64,17,0,src,dst)
    ip=ip[:10]+struct.pack("!H",csum(ip))+ip[12:]
    eth=bytes.fromhex("020000000002020000000001")+b"\x08\x00"
    return bytes([8,0,0,0,0,0,7,0])+eth+ip+udp
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(5)
duration=float(sys.argv[1]); end=time.time()+duration; seq=0; worst=0; lost=0; rtts=[]
while time.time()<end:
    seq+=1; t=time.time(); s.sendto(frame(seq),("127.0.0.1",16080))
    try:
        while True:
            d,_=s.recvfrom(2000)
            if struct.unpack("!Q",d[-8:])[0]==seq: break
        r=time.time()-t; rtts.append(r); worst=max(worst,r)
    except socket.timeout: lost+=1
    time.sleep(0.001)
rtts.sort()
print(f"probes {seq} lost {lost} median {rtts[len(rtts)//2]*1e3:.2f} ms p99 {rtts[int(len(rtts)*.99)]*1e3:.2f} ms max {worst*1e3:.1f} ms")
