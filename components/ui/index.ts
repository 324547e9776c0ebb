/**
 * The UI kit: the pieces every page shares, one file each, named for what it holds. Pages import them from
 * here (`import { Button, Modal, toast } from '@/components/ui'`); a piece used by one area only stays in
 * that area's folder (the designer's inspector controls, the workflows' file import).
 */
export { Badge, type BadgeTone } from './Badge';
export { Button, type ButtonProps } from './Button';
export { Card, CardContent, CardDescription, CardHeader, CardTitle } from './Card';
export { callError, errorMessage, responseError, type CallError } from './callError';
export { cn } from './cn';
export { ErrorNote } from './ErrorNote';
export { LoadFailed } from './LoadFailed';
export { denseInputClass, Field, inputClass, invalidInputClass } from './Field';
export { ChevronIcon, MoonIcon, SpineMark, SunIcon } from './icons';
export { Modal } from './Modal';
export { useModalDialog } from './useModalDialog';
export { Skeleton } from './Skeleton';
export { SubmitButton } from './SubmitButton';
export { Table, TableBody, TableHead, Th } from './Table';
export { Toasts } from './Toasts';
export { toast, useToasts, type Toast } from './useToasts';
export { useClock } from './useClock';
