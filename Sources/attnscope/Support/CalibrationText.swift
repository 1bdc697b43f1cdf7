// The text `calibrate` uses when it is given none: excerpts of public-domain English (prose,
// verse, scripture, speeches, science), 2,770 tokens of the reference model, in an order
// that mixes kinds early on, since calibration reads only the first --tokens (1024 by default).
// Sources: Austen, Pride and Prejudice (1813); Lincoln, the Gettysburg Address (1863); Carroll,
// Alice's Adventures in Wonderland (1865); Shakespeare, Hamlet (1603); the King James Bible
// (1611), Genesis 1 and Psalm 23; Melville, Moby-Dick (1851); the Declaration of Independence
// (1776); Darwin, On the Origin of Species (1859); Dickens, A Tale of Two Cities (1859);
// Wordsworth, "I Wandered Lonely as a Cloud" (1807); Thoreau, Walden (1854); Doyle, "A Scandal
// in Bohemia" (1891).

enum CalibrationText {
    static let sources = "Austen, Lincoln, Carroll, Shakespeare, the King James Bible, Melville, the Declaration of "
        + "Independence, Darwin, Dickens, Wordsworth, Thoreau, Doyle"

    static let builtIn = #"""
It is a truth universally acknowledged, that a single man in possession of a good fortune, must be
in want of a wife. However little known the feelings or views of such a man may be on his first
entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that
he is considered the rightful property of some one or other of their daughters.
"My dear Mr. Bennet," said his lady to him one day, "have you heard that Netherfield Park is let at
last?" Mr. Bennet replied that he had not. "But it is," returned she; "for Mrs. Long has just been
here, and she told me all about it." Mr. Bennet made no answer. "Do you not want to know who has
taken it?" cried his wife impatiently. "You want to tell me, and I have no objection to hearing it."
This was invitation enough.

Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived
in Liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in a
great civil war, testing whether that nation, or any nation so conceived and so dedicated, can long
endure. We are met on a great battle-field of that war. We have come to dedicate a portion of that
field, as a final resting place for those who here gave their lives that that nation might live. It
is altogether fitting and proper that we should do this. But, in a larger sense, we can not
dedicate, we can not consecrate, we can not hallow this ground. The brave men, living and dead, who
struggled here, have consecrated it, far above our poor power to add or detract. The world will
little note, nor long remember what we say here, but it can never forget what they did here. It is
for us the living, rather, to be dedicated here to the unfinished work which they who fought here
have thus far so nobly advanced. It is rather for us to be here dedicated to the great task
remaining before us, that from these honored dead we take increased devotion to that cause for which
they gave the last full measure of devotion, that we here highly resolve that these dead shall not
have died in vain, that this nation, under God, shall have a new birth of freedom, and that
government of the people, by the people, for the people, shall not perish from the earth.

Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to
do: once or twice she had peeped into the book her sister was reading, but it had no pictures or
conversations in it, "and what is the use of a book," thought Alice, "without pictures or
conversations?" So she was considering in her own mind (as well as she could, for the hot day made
her feel very sleepy and stupid), whether the pleasure of making a daisy-chain would be worth the
trouble of getting up and picking the daisies, when suddenly a White Rabbit with pink eyes ran close
by her. There was nothing so very remarkable in that; nor did Alice think it so very much out of the
way to hear the Rabbit say to itself, "Oh dear! Oh dear! I shall be late!" But when the Rabbit
actually took a watch out of its waistcoat-pocket, and looked at it, and then hurried on, Alice
started to her feet, for it flashed across her mind that she had never before seen a rabbit with
either a waistcoat-pocket, or a watch to take out of it, and burning with curiosity, she ran across
the field after it, and was just in time to see it pop down a large rabbit-hole under the hedge.

To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune,
Or to take arms against a sea of troubles
And by opposing end them. To die, to sleep;
No more; and by a sleep to say we end
The heart-ache and the thousand natural shocks
That flesh is heir to: 'tis a consummation
Devoutly to be wish'd. To die, to sleep;
To sleep, perchance to dream: ay, there's the rub;
For in that sleep of death what dreams may come,
When we have shuffled off this mortal coil,
Must give us pause: there's the respect
That makes calamity of so long life.

In the beginning God created the heaven and the earth. And the earth was without form, and void; and
darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And
God said, Let there be light: and there was light. And God saw the light, that it was good: and God
divided the light from the darkness. And God called the light Day, and the darkness he called Night.
And the evening and the morning were the first day.

Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my
purse, and nothing particular to interest me on shore, I thought I would sail about a little and see
the watery part of the world. It is a way I have of driving off the spleen and regulating the
circulation. Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly
November in my soul; whenever I find myself involuntarily pausing before coffin warehouses, and
bringing up the rear of every funeral I meet; and especially whenever my hypos get such an upper
hand of me, that it requires a strong moral principle to prevent me from deliberately stepping into
the street, and methodically knocking people's hats off, then, I account it high time to get to sea
as soon as I can. This is my substitute for pistol and ball. With a philosophical flourish Cato
throws himself upon his sword; I quietly take to the ship. There is nothing surprising in this. If
they but knew it, almost all men in their degree, some time or other, cherish very nearly the same
feelings towards the ocean with me.

When in the Course of human events, it becomes necessary for one people to dissolve the political
bands which have connected them with another, and to assume among the powers of the earth, the
separate and equal station to which the Laws of Nature and of Nature's God entitle them, a decent
respect to the opinions of mankind requires that they should declare the causes which impel them to
the separation. We hold these truths to be self-evident, that all men are created equal, that they
are endowed by their Creator with certain unalienable Rights, that among these are Life, Liberty and
the pursuit of Happiness. That to secure these rights, Governments are instituted among Men,
deriving their just powers from the consent of the governed, that whenever any Form of Government
becomes destructive of these ends, it is the Right of the People to alter or to abolish it, and to
institute new Government, laying its foundation on such principles and organizing its powers in
such form, as to them shall seem most likely to effect their Safety and Happiness.

It is interesting to contemplate an entangled bank, clothed with many plants of many kinds, with
birds singing on the bushes, with various insects flitting about, and with worms crawling through
the damp earth, and to reflect that these elaborately constructed forms, so different from each
other, and dependent on each other in so complex a manner, have all been produced by laws acting
around us. These laws, taken in the highest sense, being Growth with Reproduction; Inheritance which
is almost implied by reproduction; Variability from the indirect and direct action of the external
conditions of life, and from use and disuse; a Ratio of Increase so high as to lead to a Struggle
for Life, and as a consequence to Natural Selection, entailing Divergence of Character and the
Extinction of less-improved forms. Thus, from the war of nature, from famine and death, the most
exalted object which we are capable of conceiving, namely, the production of the higher animals,
directly follows. There is grandeur in this view of life, with its several powers, having been
originally breathed into a few forms or into one; and that, whilst this planet has gone cycling on
according to the fixed law of gravity, from so simple a beginning endless forms most beautiful and
most wonderful have been, and are being, evolved.

The Lord is my shepherd; I shall not want. He maketh me to lie down in green pastures: he leadeth me
beside the still waters. He restoreth my soul: he leadeth me in the paths of righteousness for his
name's sake. Yea, though I walk through the valley of the shadow of death, I will fear no evil: for
thou art with me; thy rod and thy staff they comfort me. Thou preparest a table before me in the
presence of mine enemies: thou anointest my head with oil; my cup runneth over. Surely goodness and
mercy shall follow me all the days of my life: and I will dwell in the house of the Lord for ever.

It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of
foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of
Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had
everything before us, we had nothing before us, we were all going direct to Heaven, we were all
going direct the other way; in short, the period was so far like the present period, that some of
its noisiest authorities insisted on its being received, for good or for evil, in the superlative
degree of comparison only.

I wandered lonely as a cloud
That floats on high o'er vales and hills,
When all at once I saw a crowd,
A host, of golden daffodils;
Beside the lake, beneath the trees,
Fluttering and dancing in the breeze.
Continuous as the stars that shine
And twinkle on the milky way,
They stretched in never-ending line
Along the margin of a bay:
Ten thousand saw I at a glance,
Tossing their heads in sprightly dance.
For oft, when on my couch I lie
In vacant or in pensive mood,
They flash upon that inward eye
Which is the bliss of solitude;
And then my heart with pleasure fills,
And dances with the daffodils.

I went to the woods because I wished to live deliberately, to front only the essential facts of
life, and see if I could not learn what it had to teach, and not, when I came to die, discover that
I had not lived. I did not wish to live what was not life, living is so dear; nor did I wish to
practise resignation, unless it was quite necessary. I wanted to live deep and suck out all the
marrow of life, to live so sturdily and Spartan-like as to put to rout all that was not life, to cut
a broad swath and shave close, to drive life into a corner, and reduce it to its lowest terms. Our
life is frittered away by detail. Simplify, simplify.

To Sherlock Holmes she is always the woman. I have seldom heard him mention her under any other name.
In his eyes she eclipses and predominates the whole of her sex. It was not that he felt any emotion
akin to love for Irene Adler. All emotions, and that one particularly, were abhorrent to his cold,
precise but admirably balanced mind. He was, I take it, the most perfect reasoning and observing
machine that the world has seen, but as a lover he would have placed himself in a false position. He
never spoke of the softer passions, save with a gibe and a sneer. They were admirable things for the
observer, excellent for drawing the veil from men's motives and actions. But for the trained
reasoner to admit such intrusions into his own delicate and finely adjusted temperament was to
introduce a distracting factor which might throw a doubt upon all his mental results. Grit in a
sensitive instrument, or a crack in one of his own high-power lenses, would not be more disturbing
than a strong emotion in a nature such as his. And yet there was but one woman to him, and that
woman was the late Irene Adler, of dubious and questionable memory.

"""#
}
