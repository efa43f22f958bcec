/**
 * The crypto benchmark's page: the measurements of bench/lib/crypto-costs.ts on Chromium's own
 * IndexedDB and V8, bundled by bench/suites/crypto.ts and driven by it through `window.cryptoPage`.
 */
import { cryptoBench, type CryptoBench } from '../lib/crypto-costs.ts';

export interface CryptoPage {
  /** The SDP of a real data-channel offer from this browser, candidates gathered (or after 3 s). */
  offerSdp(): Promise<string>;
  /** Starts a bench signing channels over `sdp`; `bench` is it from then on. */
  start(sdp: string): ReturnType<CryptoBench['setup']>;
  bench: CryptoBench | null;
}

declare global {
  interface Window {
    cryptoPage: CryptoPage;
  }
}

window.cryptoPage = {
  async offerSdp() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.createDataChannel('bench');
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3_000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const sdp = pc.localDescription?.sdp ?? '';
    pc.close();
    return sdp;
  },
  start(sdp) {
    this.bench = cryptoBench({}, sdp);
    return this.bench.setup();
  },
  bench: null,
};
