import { type ReactNode, useEffect, useRef, useState } from "react";

/**
 * A button for what cannot be undone: the first press asks, in place ("Cancel this order?
 * Yes, cancel / No"), and only "Yes" acts. The question takes the focus's place on "No", so
 * Enter twice never does the irreversible thing by accident.
 */
export function ConfirmButton({
  children,
  question,
  confirm,
  onConfirm,
  className = "ghost",
  disabled,
  label,
}: {
  children: ReactNode;
  question: string;
  confirm: string;
  onConfirm: () => void;
  className?: string;
  disabled?: boolean;
  /** The accessible name of the first button when its text is not enough ("−1"). */
  label?: string;
}) {
  const [asking, setAsking] = useState(false);
  const no = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) no.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button
        ref={first}
        type="button"
        className={className}
        disabled={disabled}
        aria-label={label}
        onClick={() => setAsking(true)}
      >
        {children}
      </button>
    );
  return (
    <fieldset className="confirm">
      <legend className="confirm-q">{question}</legend>
      <button
        type="button"
        className="danger"
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirm}
      </button>
      <button ref={no} type="button" className="ghost" onClick={() => setAsking(false)}>
        No
      </button>
    </fieldset>
  );
}
