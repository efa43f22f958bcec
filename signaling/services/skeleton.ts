/**
 * Unicode TR39 confusable skeletons (https://www.unicode.org/reports/tr39/#Confusable_Detection):
 * two usernames whose skeletons are equal look alike (`рaypal` in Cyrillic р, `paypal`), so only
 * one of them may exist. The skeleton is for comparing only, never for display.
 *
 * TR39: skeleton(X) = NFD(map(NFD(remove Default_Ignorable(X)))), where map replaces each code
 * point by its prototype from confusables.txt. The map is the `unhomoglyph` package's (the Unicode
 * confusables data, generated from confusables.txt); the steps around it are TR39's. It runs on
 * the username key (NFKC + case fold), so case variants and compatibility forms share a skeleton.
 *
 * Stored in users.username_skeleton (unique): when the package's data changes, a migration must
 * recompute the column, as 0006 fills it.
 */
import unhomoglyph from 'unhomoglyph';
import { usernameKey } from '../../shared/names.ts';

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD').replace(IGNORABLE, '')).normalize('NFD');
}

/** The skeleton that makes a username unique among look-alikes. */
export function usernameSkeleton(username: string): string {
  return skeleton(usernameKey(username));
}
