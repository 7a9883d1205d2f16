import { useCallback, useState } from "react";

const KEY = "switchboard.sound";

/** The agent's choice of a sound on new chats: off unless they turn it on (kept per browser). */
export function useSoundSetting(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => localStorage.getItem(KEY) === "on");
  const set = useCallback((next: boolean) => {
    localStorage.setItem(KEY, next ? "on" : "off");
    setOn(next);
  }, []);
  return [on, set];
}

let audio: AudioContext | undefined;

/** Two short tones, made on the spot (no file to load). Silently nothing where audio is blocked. */
export function beep(): void {
  try {
    audio ??= new AudioContext();
    const t = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.15, t + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.001, t + i * 0.18 + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.18);
      osc.stop(t + i * 0.18 + 0.17);
    }
  } catch {
    // no audio device or not allowed yet: the toast and the title still tell
  }
}
