import { createRequire } from 'node:module';
const gst = createRequire(import.meta.url)('gstreamer-superficial');
const p = new gst.Pipeline('videotestsrc is-live=true num-buffers=200 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc key-int-max=60 tune=zerolatency option-string=scenecut=0 ! h264parse config-interval=-1 ! splitmuxsink name=seg muxer-factory=mpegtsmux max-size-time=2000000000 location=/tmp/segtest/s-%05d.ts');
p.pollBus((m) => { if (m.type === 'element') console.log(Date.now(), JSON.stringify(m)); if (m.type==='eos') { p.stop(); process.exit(0); } });
p.play();
