"""Build the messy chat dataset for the Data lab (the data-curation lessons).

Writes three files under assets/curation/:

* messy.jsonl: about 280 chat rows, one per line, of which about 220 are clean hand-written
  question/answer pairs and about 60 carry a planted problem (exact and near duplicates, hand-written
  paraphrases, empty, truncated and far-too-long answers, lines that are not JSON, wrong role names,
  personal data, assistant boilerplate, answers in the wrong language and degenerate repetition).
* planted.json: the answer key. "rows" maps the index of every planted row (rows are numbered from 0
  in line order) to its problems, the index of the row it copies ("of", or null) and a short note;
  every row not listed there is clean. "topic_siblings" lists pairs of clean rows that only share a
  narrow topic (their MiniLM cosine is between 0.70 and 0.82), so a low semantic threshold merges them.
* seeds.jsonl: eight short seed tasks for the self-instruct lesson.

Everything here was written for this project; nothing is fetched. The clean rows, the seeds and the
fresh content of the planted rows are data in this file; the planting (which rows are copied, the typos,
the positions) is drawn from random.Random(17), so running the script again reproduces the three files
byte for byte.

    .venv/bin/python scripts/make_messy_set.py
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "assets" / "curation"

# ---------------------------------------------------------------------------------------------------
# Clean rows: (question, answer) or (system, question, answer).
# ---------------------------------------------------------------------------------------------------

CLEAN: list[tuple[str, ...]] = [
    # cooking
    ("You are a friendly kitchen helper. Keep answers short and practical.",
     "How long should I rest a steak after cooking it?",
     "Leave it for about five to ten minutes, loosely covered with foil. The juices settle back into the "
     "meat, so less of them runs out onto the board when you slice it."),
    ("Why do onions make you cry when you cut them?",
     "Cutting an onion breaks its cells and releases a sulphur compound that turns into an irritating gas. "
     "When that gas reaches your eyes they start to water. A sharp knife and a chilled onion both reduce the effect."),
    ("What is the difference between baking soda and baking powder?",
     "Baking soda is pure sodium bicarbonate and needs an acid in the recipe, such as yoghurt or lemon juice, "
     "to make it fizz. Baking powder already contains the acid, so it only needs moisture and heat to work."),
    ("How can I stop pasta from sticking together?",
     "Use plenty of water, about a litre for every hundred grams, and stir during the first two minutes of "
     "boiling. Adding oil does little; serving the pasta straight away with its sauce matters more."),
    ("What does it mean to fold ingredients together?",
     "Folding is a gentle way of mixing that keeps air in a batter. You cut down through the middle with a "
     "spatula, sweep along the bottom and turn the mixture over, rotating the bowl as you go."),
    ("Can I freeze cooked rice?",
     "Yes, as long as you cool it quickly, within about an hour, and pack it flat in bags. Reheat it until "
     "it is steaming hot all the way through and eat it the same day."),
    ("Why is my homemade bread dense?",
     "Heavy bread usually means the dough did not rise enough, because the yeast was old, the kitchen was "
     "cold or it was not kneaded long enough to build gluten. Too much flour can also make the crumb tight."),
    ("What is umami?",
     "Umami is the fifth basic taste, alongside sweet, sour, salty and bitter. It is the savoury flavour of "
     "glutamate and is strong in parmesan, soy sauce, mushrooms and ripe tomatoes."),
    ("How do I keep avocados from turning brown?",
     "Browning happens when the flesh meets oxygen. Squeeze lemon or lime juice over the cut surface and "
     "press cling film directly onto it, or keep the stone in the half you are storing."),
    ("What temperature should a fridge be set to?",
     "Aim for between one and four degrees Celsius. Above five degrees, the bacteria that cause food "
     "poisoning begin to multiply much faster."),
    ("How do I caramelise onions properly?",
     "Slice them thinly, cook them in butter or oil over a low heat and stir every few minutes. Real "
     "caramelisation takes around forty minutes; turning up the heat only burns the edges while the middle stays pale."),
    ("Is it safe to wash raw chicken before cooking?",
     "Washing it is not recommended, because splashing water spreads bacteria such as Campylobacter around "
     "the sink and worktop. Cooking the meat thoroughly kills them anyway."),
    ("What can I use instead of eggs in a cake?",
     "For each egg you can use half a mashed banana, a quarter cup of apple sauce, or a tablespoon of ground "
     "flaxseed mixed with three tablespoons of water and left to thicken."),
    ("Why do recipes say to salt pasta water?",
     "The salt seasons the pasta from the inside as it absorbs liquid. It makes only a tiny difference to "
     "the boiling point, so flavour is the real reason."),
    ("How do I know when a cake is baked?",
     "Push a skewer into the centre; if it comes out clean or with a few dry crumbs, it is done. The top "
     "should also spring back when pressed lightly, and the edges start to pull away from the tin."),
    ("What is the difference between a stock and a broth?",
     "Stock is made mostly from bones and simmered for hours, so it is rich in gelatine and sets when cold. "
     "Broth is made mainly from meat or vegetables, cooks for less time and is usually seasoned enough to drink on its own."),
    ("How should I store fresh herbs?",
     "Treat soft herbs like basil, parsley and coriander like flowers: trim the stems and stand them in a "
     "glass of water. Woody ones such as rosemary and thyme keep better wrapped in a damp paper towel in the fridge."),
    ("Why does my rice turn out mushy?",
     "Mushy rice usually comes from too much water or from stirring while it cooks. Rinse the grains first to "
     "remove loose starch, measure carefully and leave the lid on until it has finished."),
    # science
    ("You are a patient science tutor for secondary school pupils.",
     "Why is the sky blue?",
     "Sunlight contains every colour, but the short blue wavelengths are scattered by air molecules much more "
     "than red ones. That scattered blue light reaches your eyes from all directions, so the whole dome overhead looks blue."),
    ("What is the difference between weather and climate?",
     "Weather is what the atmosphere is doing over hours or days, such as rain tomorrow afternoon. Climate is "
     "the average pattern of weather in a place over thirty years or more."),
    ("How does a rainbow form?",
     "Sunlight enters raindrops, bends, reflects off the back of each drop and bends again on the way out. "
     "Each colour bends by a slightly different amount, so white light is spread into a band of colours."),
    ("What is an atom made of?",
     "An atom has a tiny nucleus of protons and neutrons, surrounded by electrons. Protons carry a positive "
     "charge, electrons a negative one, and neutrons have no charge at all."),
    ("Why do we have seasons?",
     "Earth's axis is tilted by about 23.5 degrees. As the planet orbits the Sun, each hemisphere leans "
     "towards it for part of the year, getting longer days and more direct sunlight, which gives summer."),
    ("What is photosynthesis?",
     "It is the process plants use to make sugar from carbon dioxide and water, powered by sunlight captured "
     "by chlorophyll. Oxygen is released as a by-product, which is where most of the oxygen in our air comes from."),
    ("How fast does light travel?",
     "In empty space light covers almost three hundred thousand kilometres every second. Light from the Sun "
     "takes a little over eight minutes to reach us."),
    ("What is the difference between a virus and a bacterium?",
     "Bacteria are living single cells that can grow and divide on their own, and many are harmless or even "
     "useful. Viruses are far smaller packages of genetic material that can only copy themselves inside another "
     "organism's cells. Antibiotics work against bacteria but not viruses."),
    ("Why does ice float on water?",
     "Water expands as it freezes because its molecules lock into an open hexagonal pattern. That makes ice "
     "about nine percent less dense than the liquid, so it floats."),
    ("What is DNA?",
     "DNA is the molecule that carries genetic instructions in living things. It is shaped like a twisted "
     "ladder, and the order of its four bases, A, T, C and G, spells out the recipes for making proteins."),
    ("What is a black hole?",
     "It is a region where gravity is so strong that nothing, not even light, can escape once it "
     "crosses the boundary called the event horizon. Most form when very massive stars collapse at the end of their lives."),
    ("Why does metal feel colder than wood at the same temperature?",
     "Metal conducts heat away from your skin much faster than wood does. Your nerves sense the rate at which "
     "heat leaves your hand, not the temperature of the object itself."),
    ("What is the boiling point of water at the top of a mountain?",
     "Air pressure falls as you climb, so water boils at a lower temperature. On top of Everest it boils at "
     "roughly seventy degrees Celsius, which is why cooking pasta up there takes far longer."),
    ("How do magnets work?",
     "In a magnet, the tiny magnetic fields of many electrons line up in the same direction. Together they "
     "create a field with a north and a south pole; opposite poles attract and matching poles push each other away."),
    ("What is the greenhouse effect?",
     "Gases such as carbon dioxide and methane let sunlight through but absorb some of the heat Earth radiates "
     "back out. This keeps the planet warmer than it would otherwise be, and adding more of these gases strengthens the effect."),
    ("What is the difference between speed and velocity?",
     "Speed tells you how fast something moves, while velocity also includes the direction. A car going round "
     "a roundabout at a steady thirty kilometres an hour has a constant speed but a changing velocity."),
    ("Why do stars twinkle?",
     "Starlight passes through layers of moving air with slightly different temperatures, which bend it back "
     "and forth. Planets twinkle less because they appear as tiny discs rather than points."),
    # history
    ("Who built the pyramids of Giza?",
     "They were built about four and a half thousand years ago by Egyptian workers, not slaves as was once "
     "thought. Teams of paid labourers lived in a nearby town and were fed bread, beer and meat."),
    ("When did the Second World War end?",
     "The war in Europe ended on 8 May 1945, when Germany surrendered. Fighting in Asia and the Pacific "
     "continued until Japan surrendered in August, with the formal signing on 2 September."),
    ("What was the Renaissance?",
     "The Renaissance was a period of European culture from roughly the fourteenth to the seventeenth century. "
     "It began in Italy and saw a revival of interest in ancient Greek and Roman learning, with great changes in art, science and politics."),
    ("Who was Cleopatra?",
     "Cleopatra VII was the last active ruler of Ptolemaic Egypt, reigning in the first century BC. She was "
     "highly educated, spoke several languages and formed political alliances with Julius Caesar and Mark Antony."),
    ("Why did the Titanic sink?",
     "On its first voyage in April 1912, the Titanic struck an iceberg that opened several forward "
     "compartments to the sea. The ship could stay afloat with four flooded, but not five or more, and it sank in under three hours."),
    ("What was the Silk Road?",
     "It was a network of trade routes linking China with Central Asia, the Middle East and Europe. "
     "Silk, spices, paper and ideas travelled along it, as did religions and, at times, diseases."),
    ("Who invented the printing press?",
     "Johannes Gutenberg developed a press with movable metal type in Mainz around 1440. Printing with movable "
     "type had existed earlier in China and Korea, but his system spread quickly through Europe."),
    ("What was the Industrial Revolution?",
     "It was the shift from hand production to machines that began in Britain in the late eighteenth century. "
     "Steam power, factories and new iron-making methods changed how people worked and where they lived."),
    ("Why was the Berlin Wall built?",
     "East Germany put up the wall in 1961 to stop its citizens escaping to West Berlin. It stood for "
     "twenty-eight years until crowds crossed it freely in November 1989."),
    ("Who was the first person to walk on the Moon?",
     "Neil Armstrong stepped onto the lunar surface on 20 July 1969 during the Apollo 11 mission. Buzz Aldrin "
     "followed him about twenty minutes later, while Michael Collins stayed in orbit."),
    ("You are a history teacher who sticks to well-established facts.",
     "What was the Magna Carta?",
     "Magna Carta was a charter agreed by King John of England in 1215 under pressure from rebel barons. It "
     "set limits on royal power and is remembered for the idea that even a king is bound by law."),
    ("Why did the Roman Empire fall?",
     "There was no single cause. Historians point to political instability, economic trouble, pressure from "
     "migrating peoples and the split into eastern and western halves; the west ended in 476, while the east lasted another thousand years."),
    ("Who was Marie Curie?",
     "Marie Curie was a Polish-born physicist and chemist who worked in France. She pioneered research on "
     "radioactivity, discovered polonium and radium, and was the first person to win Nobel Prizes in two different sciences."),
    ("What were the Olympic Games like in ancient Greece?",
     "The ancient Games were held at Olympia every four years in honour of Zeus. Events included running, "
     "wrestling, boxing and chariot racing, and winners received a crown of olive leaves."),
    ("When was the telephone invented?",
     "Alexander Graham Bell received a patent for it in 1876, though others, including Elisha Gray and Antonio "
     "Meucci, were working on similar devices. Within a few decades telephone lines were spreading across cities."),
    # geography
    ("What is the longest river in the world?",
     "The Nile and the Amazon are both around six and a half thousand kilometres long, and the answer depends "
     "on where you measure the source. The Nile is traditionally named the longest, but some surveys give the title to the Amazon."),
    ("Which is the largest desert on Earth?",
     "If you count cold deserts, Antarctica comes first because it receives so little precipitation. The "
     "biggest hot desert is the Sahara in North Africa, which is roughly the size of the United States."),
    ("What is the capital of Australia?",
     "The capital is Canberra, not Sydney or Melbourne. It was purpose-built as a compromise between those two "
     "rival cities and became the seat of government in 1927."),
    ("How many continents are there?",
     "Most English-speaking schools teach seven: Africa, Antarctica, Asia, Australia, Europe, North America and "
     "South America. Some countries combine the Americas, or Europe and Asia, and count fewer."),
    ("Why is the Dead Sea so salty?",
     "Rivers flow into it but nothing flows out, so water leaves only by evaporation in the hot, dry climate. "
     "The salt stays behind, making the water about ten times saltier than the ocean, salty enough that you float easily."),
    ("What causes earthquakes?",
     "Most happen when rocks along a fault, often at the edge of a tectonic plate, get stuck while the plates "
     "keep moving. Stress builds until the rocks suddenly slip, sending waves of energy through the ground."),
    ("Where is Mount Kilimanjaro?",
     "Kilimanjaro is in northern Tanzania, close to the border with Kenya. It is Africa's highest mountain and "
     "a dormant volcano whose summit still carries some glacial ice."),
    ("Answer geography questions clearly, in plain English.",
     "What is a fjord?",
     "A fjord is a long, narrow sea inlet with steep sides, carved by a glacier and later flooded when the ice "
     "melted and sea levels rose. Norway, New Zealand and Chile are famous for them."),
    ("Which country has the most time zones?",
     "France does, with twelve, because of its overseas territories scattered across the globe. Russia has "
     "eleven, and the United States, counting its territories, also has eleven."),
    ("What is the Ring of Fire?",
     "It is a horseshoe-shaped belt around the Pacific Ocean where many tectonic plates meet. It contains most "
     "of the world's active volcanoes and sees the majority of its large earthquakes."),
    ("Why is Iceland green and Greenland icy?",
     "The names are misleading. Iceland is warmed by the Gulf Stream and has green coastal lowlands, while "
     "Greenland is mostly covered by a thick ice sheet; Erik the Red may have chosen its name to attract settlers."),
    ("What is the smallest country in the world?",
     "Vatican City holds that title, covering less than half a square kilometre inside Rome. It has its own "
     "government, headed by the Pope, and a population of only a few hundred people."),
    ("How are islands formed?",
     "Many are the tops of undersea volcanoes that grew above the waves, like Hawaii. Others are pieces of "
     "continent cut off by rising seas, or coral reefs that built up on sinking volcanoes."),
    ("What is a river delta?",
     "A delta is the fan of land a river builds where it enters a sea or lake. The water slows down and drops "
     "the sand and mud it was carrying, splitting into many channels across the new ground."),
    ("Which ocean is the deepest?",
     "The Pacific goes deepest: its Mariana Trench reaches almost eleven kilometres below the surface. "
     "That is more than Mount Everest is tall."),
    # programming
    ("What is a variable in programming?",
     "A variable is a named place to store a value so that your program can use it later. You might write "
     "score = 0 and then increase score each time the player earns a point."),
    ("What does Git do?",
     "Git is a version control system that records snapshots of your project over time. It lets you go back "
     "to earlier versions, see who changed what, and work on separate branches before merging them."),
    ("What is recursion?",
     "Recursion is when a function solves a problem by calling itself on a smaller piece of the same problem. "
     "It needs a base case that stops the calls, otherwise it keeps going until the program runs out of memory."),
    ("What does HTML stand for?",
     "HTML stands for HyperText Markup Language. It describes the structure of a web page, such as headings, "
     "paragraphs, links and images, while CSS handles the styling."),
    ("What is the difference between a compiler and an interpreter?",
     "A compiler translates a whole program into machine code before it runs, as with C. An interpreter reads "
     "and executes the code step by step during execution, as the standard Python implementation does."),
    ("Why is my Python code giving an IndentationError?",
     "Python uses indentation to mark blocks, so every line in a block must start with the same amount of "
     "whitespace. The error often appears when tabs and spaces are mixed, so set your editor to insert four spaces."),
    ("What is an API?",
     "An API, or application programming interface, is a set of rules that lets one piece of software ask "
     "another for data or actions. A weather app, for instance, uses one to request forecasts from a server."),
    ("What is a bug in software?",
     "A bug is a mistake in a program that makes it behave in a way nobody intended. The word was in use long "
     "before computers, though a moth found in a relay of the Harvard Mark II in 1947 made the term famous."),
    ("You are a senior Python developer mentoring a beginner.",
     "What is the difference between == and is in Python?",
     "The == operator checks whether two values are equal, while is tests if two names point to the "
     "very same object in memory. Use == for comparisons and keep is for checks like x is None."),
    ("What does SQL do?",
     "SQL is the language used to query and manage relational databases. With it you can select rows that "
     "match conditions, join related tables, and insert, update or delete records."),
    ("What is an infinite loop?",
     "It is a loop whose exit condition is never met, so it runs forever. A common cause is "
     "forgetting to update the counter in a while loop."),
    ("What is a binary number?",
     "Binary is a number system with only two digits, 0 and 1. Each place is worth twice the one to its right, "
     "so 101 in binary means four plus zero plus one, which is five."),
    ("What does it mean that a function returns None in Python?",
     "If a function finishes without a return statement, Python gives back the special value None. This "
     "often surprises people who call sort() on a list and expect a sorted copy, because sort changes the list in place."),
    ("What is open source software?",
     "It is released with its source code under a licence that lets anyone read, modify "
     "and share it. Linux, Firefox and Python are well-known examples."),
    ("What is a hash function?",
     "It turns data of any size into a fixed-size value. Good ones spread inputs evenly, which "
     "makes dictionaries fast, and cryptographic ones make it practically impossible to find two inputs with the same output."),
    ("What is the cloud in computing?",
     "The cloud means computers in someone else's data centre that you rent over the internet. Instead of "
     "buying servers, a company pays for storage and processing power as it needs them."),
    # language
    ("What is the difference between affect and effect?",
     "Affect is usually a verb meaning to influence, as in 'the noise affected my sleep'. Effect is normally a "
     "noun meaning a result, for example 'the medicine had a quick effect'."),
    ("What is a palindrome?",
     "A palindrome is a word or phrase that reads the same backwards and forwards, such as level, radar or "
     "'never odd or even'. Spaces and punctuation are usually ignored."),
    ("You are an English grammar coach. Explain with short examples.",
     "When should I use fewer rather than less?",
     "Use fewer with things you can count, such as fewer cars or fewer mistakes. Use less for things you "
     "measure rather than count, like less traffic or less water."),
    ("What is an oxymoron?",
     "An oxymoron puts two contradictory words side by side for effect, such as deafening silence, "
     "bittersweet or a small crowd."),
    ("How many letters are in the English alphabet?",
     "There are twenty-six letters, five of which are vowels: a, e, i, o and u. The letter y sometimes acts "
     "as a vowel too, as in the word gym."),
    ("What is the origin of the word salary?",
     "It comes from the Latin salarium, which was connected to salt. A popular story says Roman soldiers were "
     "paid in salt, though historians think the link is less direct than that."),
    ("What does the idiom break the ice mean?",
     "It means to do or say something that eases tension when people first meet. A host might start a party "
     "game so guests who do not know each other begin talking."),
    ("What is the difference between its and it's?",
     "It's is short for it is or it has, as in 'it's raining'. Its without an apostrophe shows possession, as "
     "in 'the dog wagged its tail'."),
    ("What is a haiku?",
     "A haiku is a short Japanese poem form, traditionally of three lines with five, seven and five syllables. "
     "Classic haiku capture a moment in nature and often hint at the season."),
    ("Why is English spelling so irregular?",
     "English borrowed words from many languages, and its pronunciation changed a great deal after spelling "
     "was fixed by printing. That is why though, through and tough look alike but sound different."),
    ("What is a synonym for happy?",
     "Good choices include cheerful, content, joyful and glad. Which one fits depends on the tone: content "
     "suggests quiet satisfaction, while joyful is more lively."),
    ("What does the prefix un- do to a word?",
     "It usually reverses or negates the meaning of the word it joins. Happy becomes unhappy, lock becomes "
     "unlock, and known becomes unknown."),
    ("What is passive voice?",
     "In the passive voice the subject receives the action instead of doing it, as in 'the window was broken "
     "by the ball'. The active version, 'the ball broke the window', is usually shorter and clearer."),
    ("Which language has the most native speakers?",
     "Mandarin Chinese leads, with close to a billion. Spanish comes second and English "
     "third, although English is ahead overall once second-language learners are included."),
    ("What is an anagram?",
     "An anagram rearranges the letters of a word or phrase to make a new one. Listen and silent are "
     "anagrams, and so are dormitory and dirty room."),
    # health
    ("How much water should I drink a day?",
     "Needs vary with size, activity and climate, but many adults do well with six to eight glasses of fluid "
     "daily. Food and other drinks count too, and pale yellow urine is a good sign you are getting enough."),
    ("Why is sleep important?",
     "During sleep the brain consolidates memories and clears waste products, while the body repairs tissue "
     "and regulates hormones. Adults who regularly get less than seven hours have a higher risk of many health problems."),
    ("How long should I wash my hands for?",
     "Use soap and water for at least twenty seconds, about the time it takes to hum the birthday song twice. "
     "Scrub the backs of your hands, between your fingers and under your nails."),
    ("What is the difference between a cold and the flu?",
     "Both are caused by viruses, but flu usually starts suddenly with fever, aching muscles and exhaustion. "
     "A cold comes on gradually and mostly affects the nose and throat."),
    ("You give general wellbeing information, not medical diagnoses.",
     "How can I ease a tension headache?",
     "Drink some water, rest away from screens and try gently massaging your neck and temples. A standard "
     "dose of paracetamol or ibuprofen can help, but see a doctor if headaches are frequent or unusually severe."),
    ("Is it bad to crack your knuckles?",
     "Studies have not found that knuckle cracking causes arthritis. The popping sound comes from gas bubbles "
     "collapsing in the fluid of the joint, and it is harmless unless it hurts."),
    ("How much exercise do adults need?",
     "Health guidelines suggest at least 150 minutes of moderate activity a week, such as brisk walking, plus "
     "muscle-strengthening exercises on two days. Breaking it into short sessions still counts."),
    ("What is a balanced diet?",
     "It includes plenty of vegetables and fruit, wholegrain starchy foods, some protein such as beans, fish, "
     "eggs or meat, and a little dairy or an alternative. Sugar, salt and saturated fat are kept fairly low."),
    ("Why do we get goosebumps?",
     "Tiny muscles at the base of each hair contract when you are cold or feel a strong emotion, pulling the "
     "hairs upright. In furrier ancestors this trapped warm air or made them look bigger to rivals."),
    ("What should I do if I burn my hand on the stove?",
     "Hold the burn under cool running water for twenty minutes and remove rings nearby. Do not use ice or "
     "butter; cover it loosely with cling film and get medical help if it is large, deep or blistering badly."),
    ("How does caffeine keep you awake?",
     "Caffeine blocks receptors for adenosine, a chemical that builds up in the brain during the day and "
     "makes you feel sleepy. Its effects peak within an hour, and it takes around five hours for half of it to leave your body."),
    ("What are the benefits of stretching?",
     "Regular stretching improves flexibility and range of movement, which can make everyday tasks easier. "
     "Gentle stretches after exercise also feel good, although they do less to prevent soreness than many people think."),
    ("Why does my stomach rumble?",
     "The rumbling comes from muscles in the gut pushing food, liquid and gas along. It is louder when the "
     "stomach is empty because there is less to muffle the sound."),
    ("How can I reduce eye strain from screens?",
     "Follow the twenty-twenty-twenty rule: every twenty minutes, look at something about twenty feet away for "
     "twenty seconds. Lower the brightness to match the room and remember to blink."),
    ("What is a normal resting heart rate?",
     "For most adults, sixty to one hundred beats per minute at rest is normal. Fit people often have lower "
     "rates, sometimes in the forties or fifties."),
    # travel
    ("You are a seasoned travel advisor.",
     "How can I avoid jet lag?",
     "Start shifting your sleep an hour a day towards the destination's time before you leave. On arrival, "
     "get daylight in the morning, stay awake until local bedtime and drink plenty of water on the flight."),
    ("What should I pack in my hand luggage?",
     "Keep your passport, medicines, phone charger, a change of clothes and anything valuable with you. "
     "Liquids usually need to be in small containers inside a clear bag, so check your airport's rules."),
    ("Do I need a visa to visit another country?",
     "It depends on your passport and your destination. Check the official government information for the "
     "country you are visiting well before you travel, since some visas take weeks to arrive."),
    ("How early should I get to the airport?",
     "For short flights, two hours before departure is a sensible rule, and three hours for long-haul "
     "journeys. Allow extra time at busy holidays or if you need to check a bag."),
    ("What is the best way to carry money abroad?",
     "Use a mix: a card with no foreign transaction fees, a backup card kept separately and a little local "
     "cash for taxis and small shops. Tell your bank before you go so your card is not blocked."),
    ("How can I sleep on a long flight?",
     "Choose a window seat so you have something to lean on and are not disturbed. A neck pillow, eye mask and "
     "earplugs help, and skipping coffee and alcohol makes falling asleep easier."),
    ("What is travel insurance for?",
     "It pays for things like emergency medical care abroad, cancelled trips, and lost or stolen luggage. "
     "Medical cover matters most, because treatment in some countries can cost a fortune."),
    ("How do I avoid getting sick from food when travelling?",
     "Eat food that is freshly cooked and served hot, peel fruit yourself and be careful with salads washed in "
     "tap water. Where tap water is unsafe, drink bottled or boiled water and skip the ice."),
    ("What is a layover?",
     "A layover is a stop between two flights on the way to your destination, usually at a connecting "
     "airport. Short ones are convenient but leave little room if the first flight is late."),
    ("How can I save money on train tickets?",
     "Book early, travel outside rush hour and look for railcards or passes if you travel often. Splitting a "
     "journey into two tickets is sometimes cheaper than buying one."),
    ("How can I make my suitcase easy to spot?",
     "Tie a bright ribbon or strap around the handle, or choose an unusual colour. A clear name tag helps too, "
     "though putting your home address on the outside is not a good idea."),
    ("What should I do if I lose my passport abroad?",
     "Report the loss to the local police and get a written report, then contact your country's nearest "
     "embassy or consulate. They can issue an emergency travel document so you can get home."),
    ("Is it rude to tip in Japan?",
     "Tipping is not customary there and can cause confusion, as good service is considered part of the job. "
     "Staff may even chase you to return money you left on the table."),
    ("How can I deal with motion sickness in a car?",
     "Sit in the front and look at the horizon rather than a phone or book. Fresh air helps, and ginger sweets "
     "or travel sickness tablets taken before the journey can prevent nausea."),
    # money
    ("You explain personal finance to people who are new to it.",
     "What is compound interest?",
     "It is interest earned on both the money you put in and the interest it has already earned. Over many "
     "years this snowball effect makes savings grow much faster than simple interest would."),
    ("What is a budget?",
     "A budget is a plan for how you will spend and save your income each month. Writing down what comes in "
     "and what goes out shows where money leaks away and helps you set goals."),
    ("What is inflation?",
     "Inflation is the general rise in prices over time, which means the same amount of money buys less. "
     "Central banks often aim for about two percent a year and raise interest rates when it climbs higher."),
    ("How big should an emergency fund be?",
     "A common guideline is three to six months of essential expenses, kept in an easy-access savings account. "
     "Starting with a smaller target, such as one month's rent, still makes a real difference."),
    ("What is the difference between a debit card and a credit card?",
     "Debit cards take money straight from your bank account. Credit cards instead borrow from the card company, "
     "which you repay later, charging interest if you do not clear the balance in full."),
    ("What is a credit score?",
     "It is a number lenders use to judge how likely you are to repay borrowed money. Paying bills "
     "on time, keeping balances low and not applying for lots of credit at once all help it."),
    ("What are stocks?",
     "A stock, or share, is a small piece of ownership in a company. If the company does well, the share price "
     "may rise and it may pay dividends, but prices can also fall, so stocks carry risk."),
    ("What is an index fund?",
     "It buys all the companies in a market index, such as the largest firms in a country, so it "
     "follows the market instead of trying to beat it. Low fees and a broad spread make it popular with long-term investors."),
    ("What is the fifty-thirty-twenty rule?",
     "It is a simple budgeting guide: spend about half of your take-home pay on needs, thirty percent on wants "
     "and twenty percent on saving or paying off debt. Adjust the split if housing in your area costs more."),
    ("How does a mortgage work?",
     "A mortgage is a loan to buy a property, with the home itself as security. You repay it in monthly "
     "instalments over many years, and if you stop paying, the lender can repossess the house."),
    ("Why should I start saving for retirement early?",
     "Money invested in your twenties has decades to compound, so small amounts can grow larger than big sums "
     "added later. Many employers also add to workplace pensions, which is free money you miss if you wait."),
    ("What are the warning signs of a scam?",
     "Be wary of anyone who pressures you to act quickly, asks you to pay by gift card or bank transfer, or "
     "promises returns that sound too good to be true. Real banks never ask for your full password."),
    ("What is a dividend?",
     "A dividend is a share of a company's profit paid to its shareholders, usually in cash a few times a "
     "year. Not every company pays them; young growing firms often reinvest profits instead."),
    ("What is the difference between gross and net pay?",
     "Gross pay is your salary before anything is taken off. Net pay, or take-home pay, is what reaches your "
     "account after tax, social security and any pension contributions."),
    ("How can I cut my grocery bill?",
     "Plan meals for the week, write a list and stick to it, and shop after eating rather than when hungry. "
     "Store-brand products and frozen vegetables are often just as good and much cheaper."),
    # maths
    ("What is a prime number?",
     "It is a whole number greater than one that has exactly two divisors, one and itself. The "
     "first few are 2, 3, 5, 7, 11 and 13; two is the only even prime."),
    ("You are a maths tutor. Show one small worked example.",
     "How do I work out a percentage of a number?",
     "Divide the percentage by one hundred and multiply by the number. To find fifteen percent of eighty, "
     "calculate 0.15 times 80, which gives 12."),
    ("What is pi?",
     "Pi is the ratio of a circle's circumference to its diameter, the same for every circle. It is about "
     "3.14159 and its decimal digits go on forever without repeating."),
    ("What is the Pythagorean theorem?",
     "In a right-angled triangle, the square of the longest side equals the sum of the squares of the other "
     "two sides. A triangle with sides three, four and five is the classic example."),
    ("Why can't you divide by zero?",
     "Division asks how many times one number fits into another. No amount of zeros adds up to a number like "
     "six, and if you try to define it anyway, the ordinary rules of arithmetic break."),
    ("What is the difference between mean, median and mode?",
     "The mean is the total divided by how many values there are, the median is the middle value when they are "
     "sorted, and the mode is the value that appears most often. The median resists being pulled by a few extreme values."),
    ("How do I convert a fraction to a decimal?",
     "Divide the top number by the bottom number. Three quarters is three divided by four, which is 0.75."),
    ("What is a square root?",
     "It is the value that gives the original number when multiplied by itself. For forty-nine that is "
     "seven, since seven times seven makes forty-nine."),
    ("What is probability?",
     "Probability measures how likely an event is, on a scale from zero for impossible to one for certain. A "
     "fair coin has a probability of one half of landing heads."),
    ("What is an even number?",
     "It can be divided by two with nothing left over, such as 4, 18 or 230. Odd numbers always "
     "leave a remainder of one."),
    ("How many degrees are in a triangle?",
     "The angles inside any flat triangle add up to 180 degrees. On a curved surface like a globe, a "
     "triangle's angles can total more."),
    ("What is the Fibonacci sequence?",
     "Each number in it is the sum of the two before: 0, 1, 1, 2, 3, 5, 8, 13 and so on. The ratio between "
     "neighbours gets closer and closer to the golden ratio, about 1.618."),
    ("What is a negative number?",
     "It is any number less than zero, written with a minus sign. Temperatures below freezing and money "
     "owed on a bank account are everyday examples."),
    ("How do I calculate the area of a circle?",
     "Multiply pi by the radius squared. A circle with a radius of two metres has an area of about 12.6 square metres."),
    ("What does it mean to round a number?",
     "Rounding replaces a number with a simpler nearby value. To round 3.68 to one decimal place, look at the "
     "next digit: eight is five or more, so it rounds up to 3.7."),
    # music
    ("How many keys does a piano have?",
     "A standard modern piano has 88 keys, 52 white and 36 black, covering just over seven octaves."),
    ("What is an octave?",
     "An octave is the distance between one note and the next with the same name, like one C to the next C. "
     "The higher note vibrates exactly twice as fast as the lower one."),
    ("What is the difference between a violin and a viola?",
     "The viola is slightly larger than the violin and tuned a fifth lower, giving it a warmer, darker tone. Viola "
     "music is also usually written in the alto clef."),
    ("Who was Mozart?",
     "Wolfgang Amadeus Mozart was an Austrian composer of the eighteenth century who began composing as a small "
     "child. In a short life of thirty-five years he wrote more than six hundred works, including operas, symphonies and concertos."),
    ("What does tempo mean in music?",
     "Tempo is the speed of a piece, often measured in beats per minute. Italian words such as largo for very "
     "slow and allegro for fast are traditionally used to mark it."),
    ("How often should I change guitar strings?",
     "If you play regularly, every one to three months is typical, or sooner if they sound dull or feel rough. "
     "Washing your hands before playing makes strings last longer."),
    ("You are a music teacher for adult beginners.",
     "What is a chord?",
     "A chord is three or more notes played together. The most common type is a triad, built from a root note "
     "plus the third and fifth notes above it."),
    ("What is the difference between major and minor keys?",
     "Major keys tend to sound bright and settled, while minor keys often sound sadder or more tense. The main "
     "difference is the third note of the scale, which is a semitone lower in minor."),
    ("How can I learn to sing in tune?",
     "Practise matching single notes played on a piano or app, record yourself and listen back. Singing with "
     "others and warming up gently also trains your ear and voice together."),
    ("What is jazz?",
     "Jazz is a style of music that grew from African American communities in New Orleans in the early "
     "twentieth century. It mixes blues, ragtime and brass band music and gives a large role to improvisation."),
    ("What does a conductor do?",
     "A conductor sets the tempo, cues entries and shapes the balance and expression of an orchestra. Much of "
     "the work happens in rehearsals, deciding how the piece should sound."),
    ("What is perfect pitch?",
     "Perfect pitch, or absolute pitch, is the rare ability to name or sing a note without hearing a reference "
     "first. Relative pitch, recognising the distance between notes, is far more common and can be trained."),
    ("Why do some songs get stuck in your head?",
     "Catchy tunes with simple, repetitive melodies and a slight surprise are most likely to loop as earworms. "
     "Chewing gum or listening to the whole song can help shake them off."),
    # sport
    ("How long is a marathon?",
     "A marathon is 42.195 kilometres, or 26.2 miles. The odd distance was fixed after the 1908 London "
     "Olympics, where the course ran from Windsor Castle to the royal box in the stadium."),
    ("What is offside in football?",
     "A player is offside if, when a teammate passes to them, they are in the opponents' half and nearer the "
     "goal line than both the ball and the second-last defender. It is only penalised if they get involved in play."),
    ("How many players does a basketball team have on court?",
     "Each side has five players on court at once. A squad is bigger, so coaches can make substitutions "
     "throughout the game."),
    ("What is a hat-trick?",
     "It is when one player scores three goals in a single game. The term came from cricket, where a "
     "bowler who took three wickets with three balls was once given a hat."),
    ("How is a tennis match scored?",
     "Points go love, fifteen, thirty, forty and game, and at forty-all you need two clear points. Six games "
     "win a set, with a tie-break usually played at six games each."),
    ("What muscles does swimming work?",
     "Swimming works almost the whole body, especially the shoulders, back, core and legs. Because water "
     "supports your weight, it is gentle on the joints."),
    ("Reply as an encouraging running coach.",
     "How do I start running if I am unfit?",
     "Begin with short intervals, such as one minute of jogging followed by two of walking, repeated for "
     "twenty minutes. Add a little more running each week and take rest days between sessions."),
    ("What is the Tour de France?",
     "It is a men's cycling race held mainly in France each July, lasting three weeks and covering around "
     "three and a half thousand kilometres. The overall leader wears the yellow jersey."),
    ("Why do golf balls have dimples?",
     "The dimples create a thin layer of turbulent air that clings to the ball, reducing drag. A dimpled ball "
     "flies roughly twice as far as a smooth one hit the same way."),
    ("What is a triathlon?",
     "A triathlon is a race made up of swimming, cycling and running, done one after the other without a "
     "break. The Olympic distance is a 1.5 kilometre swim, a 40 kilometre ride and a 10 kilometre run."),
    ("How many rings are on the Olympic flag?",
     "There are five interlocking rings, blue, yellow, black, green and red, on a white background. They "
     "represent the five inhabited continents joined together by sport."),
    ("What is the difference between rugby union and rugby league?",
     "Union has fifteen players per side and contested rucks and lineouts, while league has thirteen and a "
     "limit of six tackles before possession changes. League tends to be faster and more open."),
    ("Why should I warm up before exercise?",
     "A warm-up raises your heart rate and muscle temperature, which makes muscles more flexible and helps "
     "prevent injury. Five to ten minutes of light movement is enough."),
    # nature
    ("Why do leaves change colour in autumn?",
     "As days shorten, trees stop making chlorophyll, the green pigment that normally hides other colours. "
     "Yellow and orange pigments show through, and some trees make red ones as sugars build up in the leaves."),
    ("How do bees make honey?",
     "Bees collect nectar from flowers and store it in a special honey stomach, where enzymes start to break "
     "it down. Back at the hive they pass it between workers and fan it with their wings until most of the water evaporates."),
    ("How long do elephants live?",
     "Wild elephants can live for sixty to seventy years. Their last set of molars wears down in old age, "
     "which makes it hard for them to eat."),
    ("What is the largest animal that has ever lived?",
     "The blue whale holds the record, reaching around thirty metres in length and far heavier than any "
     "dinosaur. Despite its size it feeds mainly on tiny shrimp-like krill."),
    ("Why do birds migrate?",
     "Birds migrate to reach places with more food and safer breeding sites as the seasons change. Many use "
     "the Sun, the stars and Earth's magnetic field to find their way over thousands of kilometres."),
    ("How do trees communicate?",
     "Trees are linked underground by fungal networks that connect their roots, and through these links they "
     "can share sugars and water. Some also release chemicals into the air when insects attack, which nearby trees can detect."),
    ("What is a coral reef?",
     "It is built by colonies of tiny animals called polyps that form hard skeletons of calcium "
     "carbonate. Reefs cover a small part of the ocean floor but shelter about a quarter of all marine species."),
    ("Are spiders insects?",
     "No, spiders are arachnids. They have eight legs and two main body parts, while insects have six legs and "
     "three body parts."),
    ("You are a naturalist writing for a family nature guide.",
     "Why do owls hunt at night?",
     "Owls are built for darkness, with huge eyes that gather faint light and ears that pinpoint the rustle of "
     "a mouse. Their soft-edged feathers let them fly almost silently, so prey rarely hears them coming."),
    ("How do chameleons change colour?",
     "Their skin holds layers of cells containing tiny crystals. By relaxing or tensing the skin they change "
     "the spacing of those crystals, which alters how light reflects, and they use colour mainly to signal mood rather than to hide."),
    ("What is a carnivorous plant?",
     "Carnivorous plants trap and digest insects to get nitrogen that is missing from the poor soils where "
     "they grow. The Venus flytrap snaps shut, while pitcher plants drown their prey in a pool of liquid."),
    ("Why do dogs wag their tails?",
     "Tail wagging is a form of communication rather than a simple sign of happiness. A loose, wide wag "
     "usually means a friendly dog, while a stiff, fast wag held high can signal tension."),
    ("How do fish breathe underwater?",
     "Fish take water in through their mouths and push it out over their gills. The gills have thin membranes "
     "rich in blood vessels that absorb dissolved oxygen from the water."),
    ("What is hibernation?",
     "Hibernation is a deep sleep-like state that lets animals such as hedgehogs and bats survive winter when "
     "food is scarce. Their body temperature, heart rate and breathing drop sharply to save energy."),
    # household
    ("How can I unblock a sink without chemicals?",
     "Pour half a cup of bicarbonate of soda down the drain, followed by a mug of vinegar, and wait fifteen "
     "minutes. Flush with hot water, and use a plunger if it still drains slowly."),
    ("How often should I clean my fridge?",
     "Wipe up spills as they happen and throw out old food every week. Give it a full clean, with the shelves "
     "out and washed in warm soapy water, every three or four months."),
    ("How do I get rid of fruit flies?",
     "Put a little cider vinegar in a jar with a drop of washing-up liquid and cover it with cling film "
     "pierced with small holes. Remove overripe fruit and empty the kitchen bin regularly."),
    ("Why does my bread go mouldy so quickly?",
     "Mould thrives in warm, humid conditions, and loaves without preservatives spoil fastest. Keep it in a "
     "cool, dry bread bin or freeze sliced bread and toast it straight from frozen."),
    ("How can I make my home warmer without turning up the heating?",
     "Draught-proof doors and windows, close curtains at dusk and put a rug on bare floors. Bleeding radiators "
     "so they heat fully, and not blocking them with furniture, helps as well."),
    ("How do I clean a burnt pan?",
     "Cover the burnt area with water, add a couple of spoonfuls of bicarbonate of soda and bring it to the "
     "boil. Let it cool, and most of the residue should lift off with a wooden spoon or soft scrubber."),
    ("How can I stop my windows getting condensation?",
     "Condensation forms when warm, moist air meets cold glass. Open windows briefly each day, use extractor "
     "fans while cooking and showering, and dry clothes outside when you can."),
    ("What is the best way to hang a picture straight?",
     "Mark the wall at the height you want, use a spirit level to draw a faint line, and fix two hooks along "
     "it rather than one. Two points of support stop the frame tilting."),
    ("You are a cleaning expert with decades of experience.",
     "How do I remove limescale from a kettle?",
     "Fill it halfway with equal parts water and white vinegar or lemon juice, boil it and leave it for an "
     "hour. Empty it, rinse well and boil fresh water once before using it again."),
    ("How can I save energy when doing laundry?",
     "Wash at thirty degrees, fill the machine fully and skip the tumble dryer when you can. Modern detergents "
     "work well at low temperatures, and heating water is where most of the energy goes."),
    ("How often should I change my bed sheets?",
     "Once a week is a good routine, or every two weeks at most. Sheets collect sweat, skin cells and dust "
     "mites, so more frequent washing helps people with allergies."),
    ("What is the easiest way to clean a microwave?",
     "Heat a bowl of water with a sliced lemon on full power for three minutes and leave the door closed for "
     "five more. The steam loosens splashes so you can wipe them away easily."),
    ("How do I stop a door from squeaking?",
     "Lift the hinge pin a little, apply a few drops of light oil or a rub of petroleum jelly, and swing the "
     "door back and forth to work it in."),
    ("How should I store potatoes?",
     "Keep them in a cool, dark, airy place such as a paper bag in a cupboard, away from onions. Light turns "
     "them green, and the fridge can make them taste sweet."),
    # everyday life
    ("How can I remember names better?",
     "Repeat the name when you are introduced, use it once or twice in conversation and link it to a vivid "
     "picture. Writing it down soon afterwards also helps."),
    ("How do I write a good thank-you note?",
     "Mention the specific gift or favour, say how you will use it or why it mattered, and keep it short and "
     "warm. Sending it within a week or two makes it feel sincere."),
    ("How can I focus better when studying?",
     "Work in focused blocks of about twenty-five minutes with short breaks, put your phone in another room "
     "and start with the hardest task. A clear goal for each session keeps you on track."),
    ("How do I prepare for a job interview?",
     "Research the company, reread the job description and prepare examples of times you solved problems or "
     "worked in a team. Plan your route, and have a couple of questions ready to ask at the end."),
    ("What is the best way to learn a new language?",
     "Little and often beats long occasional sessions. Combine a course or app with listening to real speech, "
     "speaking from the start even with mistakes, and learning the most frequent words first."),
    ("How can I keep houseplants alive?",
     "Most houseplants die from overwatering, so let the top few centimetres of soil dry out before watering "
     "again. Match each plant to the light in the room and use pots with drainage holes."),
    ("How do I grow tomatoes at home?",
     "Give the plants the sunniest spot you have, a large pot or bed of rich soil and a cane for support. "
     "Water them deeply and regularly, and pinch out side shoots on tall varieties."),
    ("When is the best time to plant spring bulbs?",
     "Plant daffodils and crocuses in early autumn and tulips in late autumn, when the soil has cooled. Set "
     "each bulb about three times its own depth, pointed end up."),
    ("How can I be more confident speaking in public?",
     "Practise out loud several times, ideally in front of a friend, and know your opening lines well. Slow "
     "breathing before you start calms nerves, and most audiences want you to succeed."),
    ("What is mindfulness?",
     "Mindfulness means paying attention to the present moment on purpose and without judging it. A simple "
     "practice is to sit quietly and notice your breath, gently returning your attention whenever it wanders."),
    ("How do I make a cup of tea properly?",
     "Use freshly boiled water, pour it over the bag or leaves and steep black tea for three to five minutes. "
     "Add milk after removing the bag if you take it, so the water stays hot enough to extract flavour."),
    ("How does a refrigerator keep food cold?",
     "A fridge pumps a refrigerant around a loop. It evaporates inside the cabinet, absorbing heat, and is then "
     "compressed and condensed in the coils at the back, where it releases that heat into the room."),
    ("How do solar panels work?",
     "Solar panels are made of silicon cells. When sunlight hits them it knocks electrons loose, creating an "
     "electric current, and an inverter turns that into the alternating current your home uses."),
    ("What is a leap year?",
     "It has an extra day, 29 February, to keep the calendar in step with Earth's orbit, which takes "
     "about 365 and a quarter days. Years divisible by four are leap years, except century years not divisible by 400."),
    ("Why do we have time zones?",
     "Because Earth rotates, noon arrives at different moments around the world. Time zones group places into "
     "bands so that clocks roughly match the position of the Sun, which mattered once railways needed shared timetables."),
    # art and literature
    ("Who painted the Mona Lisa?",
     "Leonardo da Vinci painted it in the early sixteenth century. It hangs in the Louvre in Paris behind "
     "protective glass and is famous for the sitter's faint smile."),
    ("What is the difference between a novel and a novella?",
     "A novella is a work of fiction shorter than a novel but longer than a short story, often between about "
     "twenty and forty thousand words. It usually follows a single main plot with few characters."),
    ("Who wrote Pride and Prejudice?",
     "Jane Austen wrote it, and it was published in 1813. The novel follows Elizabeth Bennet and her changing "
     "opinion of the proud Mr Darcy."),
    ("What is impressionism?",
     "Impressionism was an art movement that began in France in the 1870s. Painters such as Monet and Renoir "
     "used quick, visible brushstrokes to capture light and atmosphere, often working outdoors."),
    ("What are the primary colours in painting?",
     "In traditional painting the primaries are red, yellow and blue, which can be mixed to make most other "
     "colours. Printers use cyan, magenta and yellow instead, and screens mix red, green and blue light."),
    ("What is a sonnet?",
     "A sonnet is a poem of fourteen lines with a set rhyme scheme. Shakespeare's sonnets end with a rhyming "
     "couplet that often turns or sums up the argument."),
    ("Who was William Shakespeare?",
     "Shakespeare was an English playwright and poet born in Stratford-upon-Avon in 1564. He wrote around "
     "thirty-seven plays, including Hamlet, Macbeth and Romeo and Juliet, and popularised many everyday phrases."),
    ("What is a metaphor?",
     "A metaphor describes something by saying it is something else, as in 'time is a thief'. Unlike a "
     "simile, it does not use like or as."),
    ("What is the oldest known story?",
     "The Epic of Gilgamesh from ancient Mesopotamia is often called the oldest surviving great work of "
     "literature. Its earliest versions were written on clay tablets about four thousand years ago."),
    # space
    ("How far away is the Moon?",
     "It orbits at an average distance of about 384 thousand kilometres. The orbit is slightly oval, so the "
     "distance changes through the month."),
    ("Why does the Moon have phases?",
     "The Moon is always half lit by the Sun, but as it orbits Earth we see different amounts of that lit half. "
     "A full moon happens when it is on the far side of Earth from the Sun."),
    ("How many planets are in the solar system?",
     "There are eight: Mercury, Venus, Earth, Mars, Jupiter, Saturn, Uranus and Neptune. Pluto was "
     "reclassified as a dwarf planet in 2006."),
    ("Why is Mars red?",
     "Its surface is covered in dust rich in iron oxide, the same compound as rust. Fine dust blown into the "
     "thin atmosphere gives its sky a butterscotch tint."),
    ("What is a shooting star?",
     "It is not a star at all but a meteor, a small piece of space rock burning up as it hits the upper "
     "atmosphere at high speed. Most are no bigger than a grain of sand."),
    ("Could a person survive on Mars without a spacesuit?",
     "No. The air is extremely thin and mostly carbon dioxide, temperatures drop far below freezing and the low "
     "pressure would make body fluids start to boil within seconds."),
    ("What is the International Space Station?",
     "It is a large laboratory orbiting about four hundred kilometres above Earth, built by several space "
     "agencies working together. Astronauts have lived aboard continuously since the year 2000."),
    # technology
    ("How do I make a strong password?",
     "Use a long passphrase of four or more unrelated words, or let a password manager generate random ones. "
     "Never reuse a password on different sites, and turn on two-factor authentication where you can."),
    ("What is Wi-Fi?",
     "Wi-Fi is a way of connecting devices to a network using radio waves instead of cables. A router sends "
     "and receives the signals and links your home network to the internet."),
    ("Why does my phone battery drain fast?",
     "Bright screens, apps running in the background, weak signal and location services all use lots of "
     "power. The battery section of your settings shows which apps are to blame."),
    ("What does RAM do in a computer?",
     "RAM is the short-term working memory a computer uses for programs and data it is actively using. More "
     "of it lets you keep more apps open without slowing down, but it is cleared when the power goes off."),
    ("You are a cybersecurity trainer speaking to office staff.",
     "What is phishing?",
     "Phishing is a scam where someone pretends to be a trusted company in a message to trick you into "
     "revealing passwords or payment details. Check the sender carefully and log in through the official app rather than a link."),
    ("How does GPS know where I am?",
     "Your phone listens for timing signals from several satellites. By measuring how long each signal took "
     "to arrive, it works out its distance from each one and calculates your position."),
    # etiquette and work
    ("You help people write polite, warm messages.",
     "How do I politely decline an invitation?",
     "Thank the person warmly, give a short, honest reason if you want to, and avoid long excuses. Suggesting "
     "another time shows you value being asked."),
    ("How should I start a formal letter?",
     "Open with Dear followed by the person's title and surname, such as Dear Ms Patel. If you do not know the "
     "name, Dear Sir or Madam is still accepted, though a named person is better."),
    ("How can I manage my time better?",
     "Write a short list of the three most important tasks each morning and do the hardest one first. Block "
     "time in your calendar for focused work and group small jobs like email together."),
    ("How long should a CV be?",
     "For most jobs, one to two pages is ideal. Put your most recent and relevant experience first and cut "
     "anything that does not support the role you are applying for."),
    # transport
    ("How often should I check my tyre pressure?",
     "Check it at least once a month and before long journeys, when the tyres are cold. The correct pressure "
     "is usually printed inside the driver's door or in the handbook."),
    ("Why do planes leave white trails in the sky?",
     "The trails are contrails, clouds made when hot, moist exhaust from the engines meets very cold air and "
     "the water vapour freezes into ice crystals. Whether they last depends on how humid the upper air is."),
    ("How does a hybrid car work?",
     "A hybrid combines a petrol engine with an electric motor and battery. The motor helps at low speeds, "
     "and braking recharges the battery, which cuts fuel use in town driving."),
    # the one clean row with a long digit string: a parcel tracking number that fails the Luhn check
    ("My parcel tracking number is 4929 1835 0062 7718. Why are these numbers so long?",
     "Long codes let a courier give every parcel in its network a unique label for years without reusing one. "
     "Some digits also encode the service type, and a final check digit catches typing mistakes."),
]

# Pairs of clean rows on the same narrow topic (MiniLM cosine between 0.70 and 0.82).
SIBLINGS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("How do I soft-boil an egg?",
      "Lower the egg into boiling water for six minutes, then cool it in cold water; the white will be set and "
      "the yolk still runny."),
     ("How do I hard-boil an egg?",
      "Cook it for ten minutes at a rolling boil and then plunge it into iced water. A properly hard-boiled yolk "
      "is pale yellow right through, with no grey ring around it.")),
    (("What causes lightning in a thunderstorm?",
      "Colliding ice and hail inside the cloud separate electric charge until the air breaks down and a giant "
      "spark jumps to the ground."),
     ("What causes thunder in a thunderstorm?",
      "A lightning bolt heats the air around it so fast that the air expands explosively, and that shock wave "
      "is the rumble you hear after the flash.")),
    (("Why do cats purr?",
      "Purring usually means a cat is content, but cats also purr when stressed or hurt, and the low vibration "
      "may help them calm down and even heal."),
     ("How do cats purr?",
      "A purring cat is rapidly twitching the muscles of its voice box, which makes the vocal folds vibrate as "
      "it breathes both in and out.")),
    (("How do I get red wine out of a carpet?",
      "Blot up as much as you can with a clean cloth, without rubbing. Then dab the stain with cold water and a "
      "little washing-up liquid, or cover it with salt to draw the wine out before vacuuming."),
     ("How do I get red wine out of a white shirt?",
      "Rinse the back of the fabric under cold running water straight away, then rub in some liquid laundry "
      "detergent and wash as normal; avoid hot water, which sets the stain.")),
    (("What is the difference between a list and a tuple in Python?",
      "A Python list is mutable, so you can add, remove or change items after creating it. A tuple is "
      "immutable, which makes it safe to use as a dictionary key and signals that the data should not change."),
     ("What is the difference between a list and a dictionary in Python?",
      "A Python list stores values in order and you reach them by position, starting at zero. A dictionary "
      "stores pairs of keys and values, so you look things up by key instead, and both can be changed after you create them.")),
    (("How do I convert Celsius to Fahrenheit?",
      "Multiply the Celsius temperature by nine, divide by five and add thirty-two. So twenty degrees Celsius "
      "is sixty-eight degrees Fahrenheit."),
     ("What is the quickest way to change Fahrenheit into Celsius in my head?",
      "Subtract thirty and then halve the result. It is only a rough guide, but 70 on that scale gives about "
      "20, close to the exact answer of 21.")),
]

# Hand-written rows held out of the clean set: their answers are prose material for the too-long rows
# (so the long answers also contain text that is not in any clean row).
PROSE_ONLY = {
    "Why does my rice turn out mushy?", "Why do recipes say to salt pasta water?",
    "What temperature should a fridge be set to?", "What is the difference between speed and velocity?",
    "Why does metal feel colder than wood at the same temperature?", "How fast does light travel?",
    "When was the telephone invented?", "What were the Olympic Games like in ancient Greece?",
    "What was the Industrial Revolution?", "How are islands formed?", "Which country has the most time zones?",
    "What is a river delta?", "What is the cloud in computing?", "What does HTML stand for?",
    "What is a bug in software?", "What is an anagram?", "What does the prefix un- do to a word?",
    "What is a synonym for happy?", "Why does my stomach rumble?", "What are the benefits of stretching?",
    "What is a normal resting heart rate?", "What is a layover?", "How can I make my suitcase easy to spot?",
    "How early should I get to the airport?", "What is a dividend?",
    "What is the difference between gross and net pay?", "What is a budget?", "What is a negative number?",
    "How many degrees are in a triangle?", "What is an even number?", "What does a conductor do?",
    "What is an octave?", "How many rings are on the Olympic flag?", "What muscles does swimming work?",
    "How long do elephants live?", "Are spiders insects?", "How often should I change my bed sheets?",
    "How should I store potatoes?", "How do I write a good thank-you note?",
    "When is the best time to plant spring bulbs?",
}

# More hand-written prose for the too-long answers, on topics no row asks about.
EXTRA_PROSE: list[str] = [
    "The first bicycles, which appeared in Germany early in the nineteenth century, had no pedals, and riders "
    "pushed them along with their feet. Pedals were later fixed to the front wheel, which led to the "
    "penny-farthing with its huge front wheel and tiny rear one. The safety bicycle of the 1880s, with two wheels "
    "of equal size and a chain driving the back wheel, is the design most bikes still follow. Pneumatic tyres made "
    "riding far more comfortable, and cycling clubs spread quickly through Europe and North America. For many "
    "women the bicycle brought a new kind of freedom, and it even changed fashion as long skirts gave way to more "
    "practical clothes.",
    "Lighthouses warn ships away from rocks and guide them into harbours. Early ones burned wood or coal in open "
    "fires, which gave a weak and smoky light. The Fresnel lens, invented in France in the 1820s, used rings of "
    "glass prisms to gather light into a powerful beam that could be seen many kilometres out to sea. Each "
    "lighthouse has its own pattern of flashes, so sailors can tell which one they are looking at. Today nearly "
    "all of them are automatic, and the keepers who once trimmed wicks through stormy nights have long gone.",
    "Paper was invented in China around two thousand years ago, traditionally credited to a court official named "
    "Cai Lun. Makers pounded mulberry bark, hemp and old rags into a pulp, spread it on a screen and let it dry. "
    "The craft travelled west and reached the Islamic world in the eighth century, where mills in Baghdad and "
    "Damascus produced it in large quantities. Europe began making its own paper several centuries later. Modern "
    "paper is mostly made from wood pulp, and recycled fibres can be reused around five to seven times before "
    "they become too short.",
    "Glass is made by melting sand, soda ash and limestone at very high temperatures and cooling the mixture "
    "before it can form crystals. People in Mesopotamia were making glass beads more than four thousand years "
    "ago. Glassblowing, developed in the Roman world, made vessels cheap enough for ordinary households. Despite "
    "a popular myth, old church windows are not thicker at the bottom because glass flows over centuries; they "
    "were simply made unevenly and fitted with the heavier edge down.",
    "Mapmakers face a problem they can never fully solve: a round planet cannot be flattened onto paper without "
    "stretching something. The Mercator projection keeps angles correct, which made it useful for sailors "
    "steering by compass, but it makes places near the poles look far too large. Greenland appears about as big "
    "as Africa on such maps, although Africa is roughly fourteen times larger. Other projections keep areas "
    "correct and distort shapes instead, so every world map involves a compromise.",
    "Bridges come in a few basic types. A beam bridge rests on supports at each end and works best for short "
    "spans. Arch bridges push their load outwards into the ground, which is why Roman stone arches still stand "
    "after two thousand years. Suspension bridges hang the deck from cables slung between tall towers, allowing "
    "spans of well over a kilometre. Engineers must also plan for wind, as the collapse of the Tacoma Narrows "
    "Bridge in 1940 showed when gusts set its deck twisting.",
    "Salt was once so valuable that it was taxed, traded across deserts and fought over. Before refrigeration it "
    "was the main way to preserve meat and fish, drawing out water so bacteria could not grow. Caravans carried "
    "slabs of rock salt across the Sahara, and in some markets it was exchanged almost weight for weight with "
    "gold. In India a tax on salt became a symbol of colonial rule, and Gandhi's march to the sea in 1930 to make "
    "salt from seawater drew attention around the world.",
    "According to legend, coffee was discovered in Ethiopia when a goat herder noticed his animals became lively "
    "after eating red berries from a certain shrub. By the fifteenth century it was being brewed in Yemen, and "
    "coffee houses soon spread through Cairo, Istanbul and later Europe. They became places where merchants met, "
    "news was shared and ideas were argued over, earning them the nickname penny universities in London. Today "
    "coffee is grown in a belt around the equator, with Brazil as the largest producer.",
    "Chocolate comes from the seeds of the cacao tree, which grows in hot, wet regions near the equator. The Maya "
    "and Aztecs drank it as a bitter, spiced drink, sometimes flavoured with chilli, and cacao beans were even "
    "used as money. Spanish traders brought it to Europe, where sugar was added. Solid eating chocolate only "
    "became common in the nineteenth century, after new machines made it possible to press out cocoa butter and "
    "mix it smoothly back in.",
    "Mechanical clocks appeared in European monasteries and town towers in the thirteenth and fourteenth "
    "centuries, driven by falling weights. The pendulum, applied to clocks by Christiaan Huygens in 1656, made "
    "them dramatically more accurate. Keeping good time at sea was a harder problem, because a ship's motion "
    "upset pendulums. John Harrison solved it in the eighteenth century with a series of marine chronometers, "
    "letting navigators work out their longitude by comparing local noon with the time at home.",
    "Before railways, canals were the fastest way to move heavy goods overland. A single horse walking along a "
    "towpath could pull a barge carrying many times what it could haul on a road. Locks, chambers with gates at "
    "each end, let boats climb or descend hills by filling or emptying with water. The Grand Canal in China, "
    "begun more than two thousand years ago, is still the longest artificial waterway in the world.",
    "Windmills were grinding grain in Persia more than a thousand years ago, with sails that turned around an "
    "upright shaft. European mills used horizontal shafts and sails that faced the wind, and millers turned the "
    "whole cap to follow changes in its direction. In the Netherlands, windmills pumped water out of low-lying "
    "land for centuries, helping to create much of the country. Their descendants, modern wind turbines, "
    "generate electricity instead of turning millstones.",
    "The Library of Alexandria, founded in Egypt in the third century BC, aimed to collect every book in the "
    "known world. Scholars there copied scrolls brought in by ships and studied mathematics, astronomy and "
    "medicine. Its decline happened slowly over several centuries rather than in a single famous fire. Public "
    "lending libraries, free for anyone to use, spread widely in the nineteenth century, often funded by wealthy "
    "donors such as Andrew Carnegie, who paid for thousands of library buildings.",
    "Sending a letter used to be expensive, and the person receiving it often had to pay. In 1840 Britain "
    "introduced the Penny Black, the first adhesive postage stamp, which let the sender pay a low flat rate in "
    "advance. Letters suddenly became affordable for ordinary people, and the number sent rose sharply. Other "
    "countries soon copied the idea, and postcodes were added in the twentieth century to help sort the growing "
    "volume of mail by machine.",
    "Umbrellas were used in ancient Egypt, China and Assyria, but mainly as sunshades for important people. "
    "Waterproof versions made of oiled paper or silk appeared in China. In eighteenth-century London, a traveller "
    "named Jonas Hanway was mocked for carrying one in the rain, as it was seen as a feminine accessory. Within a "
    "few decades, however, the umbrella had become an ordinary part of a gentleman's outfit.",
    "The idea of zero as a number in its own right developed in India. By the seventh century the mathematician "
    "Brahmagupta was writing rules for adding and subtracting it. Earlier civilisations such as the Babylonians "
    "had used a placeholder symbol, but did not treat it as a quantity. The Indian numerals, including zero, "
    "passed through the Arab world to Europe, where they slowly replaced Roman numerals and made written "
    "arithmetic far easier.",
    "Tides are caused mainly by the Moon's gravity pulling on the oceans. The water bulges out on the side of "
    "Earth facing the Moon and also on the opposite side, so most coasts see two high tides a day. When the Sun "
    "and Moon line up, at new and full moon, their pulls combine to give extra-high spring tides. When they are at "
    "right angles, the smaller neap tides follow. The Bay of Fundy in Canada has some of the largest tidal ranges "
    "on the planet.",
    "Camels are superbly suited to deserts. Their humps store fat, not water, which they can break down for "
    "energy when food is scarce. A thirsty camel can drink a huge amount in a few minutes, and its oval red blood "
    "cells keep flowing even when it is badly dehydrated. Thick eyelashes and closable nostrils keep out blowing "
    "sand, and wide padded feet stop them sinking into dunes.",
    "All wild penguins live in the Southern Hemisphere, from the ice of Antarctica to the warm Galapagos Islands "
    "near the equator. They cannot fly, but their wings have become stiff flippers that make them fast, agile "
    "swimmers. Emperor penguins breed in the depths of the Antarctic winter, and the males balance the single "
    "egg on their feet for about two months without eating while the females feed at sea.",
    "An octopus has three hearts and blue blood, which carries oxygen using copper rather than iron. Around two "
    "thirds of its nerve cells sit in its arms, so each arm can taste and react with some independence. "
    "Octopuses can squeeze through any gap larger than their beak, change the colour and texture of their skin in "
    "an instant, and solve puzzles such as unscrewing a jar to reach food inside.",
    "A mushroom is only the fruiting body of a fungus, the part that pops up to release spores. Most of the "
    "organism lives hidden underground as a web of fine threads. In Oregon, one honey fungus spreads through the "
    "soil over several square kilometres, making it one of the largest living things known. Fungi are closer "
    "relatives of animals than of plants, and they recycle dead wood and leaves back into the soil.",
    "Sheep were first domesticated for meat and milk, and early breeds shed their fleece naturally each year. "
    "Over centuries, farmers bred animals with softer wool that kept growing and had to be shorn. Wool traps air "
    "between its crimped fibres, which is why it keeps people warm even when damp. In medieval England the wool "
    "trade was so important that the Lord Speaker in the House of Lords still sits on a cushion stuffed with it.",
    "Soap is made by reacting fats or oils with a strong alkali, a process called saponification. Each soap "
    "molecule has one end that is attracted to water and another that clings to grease. When you wash, the "
    "molecules surround tiny droplets of oil and dirt so the water can carry them away. Soap-like mixtures were "
    "being made in ancient Babylon, but regular handwashing only became common after doctors linked cleanliness "
    "with fewer infections in the nineteenth century.",
    "The first public railway to use steam locomotives opened between Stockton and Darlington in England in "
    "1825. Within a few decades railways had spread across continents, cutting journeys that took days by coach "
    "to a few hours. They also forced towns to agree on a common time, since each place had kept its own local "
    "noon. Modern high-speed lines in Japan, France and China carry passengers at more than three hundred "
    "kilometres an hour.",
    "Kites were flown in China well over two thousand years ago, at first for signalling and measuring "
    "distances rather than for fun. Later they carried fishing lines out over water, lifted weather instruments "
    "and, in Benjamin Franklin's famous and dangerous experiment, helped show that lightning is electrical. The "
    "Wright brothers tested their ideas about wing control on large kites before building their first aeroplane. "
    "Festivals in India, Afghanistan and Japan still fill the sky with thousands of them every year.",
    "A geyser forms where groundwater seeps down to rocks heated by magma and gets trapped in narrow channels. "
    "Pressure from the water above lets it grow far hotter than its normal boiling point until some of it "
    "flashes into steam and blasts the whole column out of the ground. Fewer than a thousand active geysers are "
    "known, and about half of them are in Yellowstone National Park. Old Faithful erupts roughly every ninety "
    "minutes, which made it a favourite with early visitors.",
    "Braille was created by Louis Braille, a French teenager who had lost his sight in a childhood accident. He "
    "adapted a military system of raised dots meant for reading messages at night into a far simpler code of six "
    "dots per cell. Each letter, number or punctuation mark is a different pattern that can be felt with one "
    "fingertip. Braille is now used in many languages, on lift buttons, medicine packets and bank notes as well "
    "as in books.",
    "Fireworks grew out of the invention of gunpowder in China, where alchemists mixed saltpetre, charcoal and "
    "sulphur while searching for a potion of long life. Packed into bamboo tubes, the powder produced loud bangs "
    "that were believed to scare away evil spirits. The bright colours came much later, when chemists learned "
    "that metal salts burn with their own shades: strontium for red, barium for green and copper for blue. "
    "Sodium gives the warm yellow that is hard to keep out of any display.",
    "Ice cream has a long and tangled history. Rulers in ancient Persia and China enjoyed snow or ice mixed with "
    "fruit and sweet syrups, stored through summer in deep pits insulated with straw. Cream-based versions were "
    "popular at European courts by the seventeenth century. It stayed a luxury until the hand-cranked freezer "
    "and, later, electric refrigeration made it cheap, and the cone became popular at fairs in the early "
    "twentieth century.",
    "Origami, the Japanese art of paper folding, usually starts from a single square sheet with no cuts or glue. "
    "The crane is the best-known model, and a legend says that anyone who folds a thousand of them will be "
    "granted a wish. Mathematicians study the rules of folding, and engineers have borrowed its patterns to pack "
    "solar panels for satellites, design car airbags and fold stents small enough to slide through blood vessels.",
    "Bamboo is a giant grass, not a tree, and some species are among the fastest-growing plants on the planet, "
    "adding almost a metre in a single day. Its hollow, jointed stems are light but remarkably strong for their "
    "weight, so it has been used for scaffolding, bridges, furniture and flooring. Many species flower only once "
    "every few decades, and all the plants of a species tend to flower at the same moment and then die.",
    "Natural rubber comes from the milky sap of the rubber tree, first tapped by peoples in the Amazon who used "
    "it for balls and waterproof cloth. Raw rubber turned sticky in heat and brittle in cold until Charles "
    "Goodyear found that heating it with sulphur made it tough and elastic, a process called vulcanisation. That "
    "discovery made tyres, hoses and seals possible, and most rubber today is made synthetically from oil.",
    "Morse code turns letters into short and long signals, usually called dots and dashes. Samuel Morse and "
    "Alfred Vail developed it in the 1830s and 1840s for the electric telegraph, which for the first time let "
    "messages cross a continent in minutes. The most common letters got the shortest codes, so E is a single dot "
    "and T a single dash. Radio operators used it for over a century, and the distress call made of three dots, "
    "three dashes and three dots is still widely recognised.",
    "The Panama Canal cuts across a narrow strip of Central America, saving ships a long and stormy voyage "
    "around the tip of South America. A French attempt in the 1880s collapsed because of landslides and "
    "diseases such as yellow fever and malaria. The United States finished the project in 1914, after doctors "
    "had cut mosquito numbers. Ships are lifted through a series of locks to an artificial lake in the middle "
    "and lowered again on the other side.",
    "Roman engineers built roughly eighty thousand kilometres of paved roads across their empire. A typical "
    "road had layers of large stones, gravel and sand under a surface of fitted paving slabs, with a curved "
    "camber so rain ran off into ditches. They ran as straight as the land allowed, which let soldiers march "
    "quickly to trouble spots. Milestones told travellers how far they were from the next town, and some of "
    "those routes still lie beneath modern motorways.",
    "The metric system was introduced in France in the 1790s, during the Revolution, to replace a confusing "
    "tangle of local units. The metre was first defined as one ten-millionth of the distance from the North Pole "
    "to the equator, measured along the line passing through Paris. Because every unit scales by powers of ten, "
    "converting between them is simple. Today the metre is defined by the speed of light, and nearly every "
    "country uses the system for science and trade.",
    "The Hubble Space Telescope was launched in 1990 and orbits well above the blurring effect of the "
    "atmosphere. Its first pictures were disappointing because its main mirror had been ground to slightly the "
    "wrong shape, so astronauts fitted corrective optics on a repair mission in 1993. After that it produced "
    "sharp images of distant galaxies and helped show that the expansion of the universe is speeding up. "
    "Several later servicing missions kept it working for decades.",
    "Thomas Edison is often credited with inventing the electric light bulb, but many people worked on the idea "
    "before him, including Joseph Swan in England. Edison's team tested thousands of materials for the glowing "
    "filament and found that carbonised bamboo lasted far longer than earlier designs. Just as important, he "
    "built a whole system of power stations and wiring so homes could use the lamps. Tungsten filaments and, "
    "much later, LEDs replaced those early bulbs.",
    "In 1796 the English doctor Edward Jenner noticed that milkmaids who had caught cowpox seemed protected "
    "from smallpox. He scratched material from a cowpox sore into the arm of a boy and later showed the boy did "
    "not fall ill when exposed to smallpox. The word vaccine comes from the Latin for cow. After a worldwide "
    "campaign, smallpox was declared eradicated in 1980, the first human disease to be wiped out.",
    "Alexander Fleming discovered penicillin in 1928 when he returned from holiday to find mould growing on one "
    "of his bacteria plates, with a clear ring around it where the bacteria had died. Turning that observation "
    "into a medicine took another decade of work by Howard Florey, Ernst Chain and their team in Oxford. Mass "
    "production during the Second World War saved many wounded soldiers from infection.",
    "The Seven Wonders of the Ancient World were famous monuments listed by Greek travellers. They included the "
    "Hanging Gardens of Babylon, the statue of Zeus at Olympia, the Colossus of Rhodes and the lighthouse of "
    "Alexandria. Only the Great Pyramid survives today, even though it was already ancient when the list was "
    "made. Some historians doubt that the Hanging Gardens ever existed in the form described.",
    "The race to reach the South Pole ended in December 1911, when the Norwegian explorer Roald Amundsen and his "
    "team arrived using skis and sled dogs. Robert Falcon Scott's British party reached the spot about five "
    "weeks later, only to find a Norwegian tent and flag waiting for them. Scott and his companions died on the "
    "return journey, caught by blizzards a short distance from a supply depot.",
    "The Great Fire of London began in a bakery on Pudding Lane in September 1666 and burned for four days. "
    "Strong winds and closely packed timber houses helped it spread, destroying most of the medieval city "
    "including the old St Paul's Cathedral. Surprisingly few deaths were recorded. Afterwards, new buildings had "
    "to be made of brick or stone, and Christopher Wren designed the cathedral that stands there today.",
    "Sushi began in South-East Asia as a way of preserving fish by packing it in fermenting rice, which was "
    "thrown away before eating. Over centuries the Japanese shortened the fermentation and began eating the "
    "rice too. The quick style most people know, with fresh fish on vinegared rice, became popular as street "
    "food in Edo, the old name for Tokyo, in the early nineteenth century.",
    "The zip fastener took decades to get right. Early designs with hooks and eyes jammed or sprang open, and "
    "it was only in 1913 that the Swedish-American engineer Gideon Sundback produced a version with "
    "interlocking teeth that worked reliably. It was first used on boots and tobacco pouches, and fashion "
    "designers took it up in the 1930s, when trousers with zips were promoted as a modern convenience.",
    "Early sewing machines met fierce resistance from tailors, who feared for their jobs, and one French "
    "inventor's workshop was wrecked by an angry crowd. Elias Howe patented the lockstitch design in 1846, and "
    "Isaac Singer added improvements such as a foot treadle and sold machines on instalment plans. Home sewing "
    "machines changed how clothes were made and became one of the first mass-marketed household appliances.",
]

# ---------------------------------------------------------------------------------------------------
# Planted rows
# ---------------------------------------------------------------------------------------------------

# paraphrase: (question of the clean original, reworded question, reworded answer)
PARAPHRASES: list[tuple[str, str, str]] = [
    ("What is the capital of Australia?", "Which city is Australia's capital?",
     "Australia's capital is Canberra rather than Sydney or Melbourne. The city was built specially as a "
     "compromise between those two rivals, and parliament moved there in 1927."),
    ("How many keys does a piano have?", "What is the number of keys on a piano?",
     "Most modern pianos have 88 keys in total: 52 white ones and 36 black ones, spanning a little more than "
     "seven octaves."),
    ("Who was Marie Curie?", "Can you tell me who Marie Curie was?",
     "She was a physicist and chemist, born in Poland, who did her work in France. Curie led early research into "
     "radioactivity, found the elements polonium and radium, and became the first person to receive Nobel Prizes "
     "in two separate sciences."),
    ("Why was the Berlin Wall built?", "What was the reason for building the Berlin Wall?",
     "In 1961 East Germany built the wall to prevent its people fleeing to West Berlin. It remained for "
     "twenty-eight years, until November 1989, when crowds were finally allowed to cross."),
    ("Who wrote Pride and Prejudice?", "Who is the author of Pride and Prejudice?",
     "The author is Jane Austen, and the book first came out in 1813. It tells the story of Elizabeth Bennet, "
     "whose view of the proud Mr Darcy slowly changes."),
    ("Where is Mount Kilimanjaro?", "In which country is Mount Kilimanjaro?",
     "You will find Kilimanjaro in the north of Tanzania, near the Kenyan border. The dormant volcano is the "
     "tallest mountain in Africa, and a little glacier ice still sits on its summit."),
]

EMPTY: list[tuple[str, str, str]] = [  # (question, blank answer, note)
    ("What is the tallest building in the world?", "", "the answer is an empty string"),
    ("How do hot air balloons fly?", "   ", "the answer is three spaces"),
    ("What are some tips for growing basil on a windowsill?", "\n", "the answer is a single newline"),
    ("Can you explain how a sundial tells the time?", " \t ", "the answer is a space, a tab and a space"),
]

TRUNCATED: list[tuple[str, str]] = [
    ("Why do we yawn?",
     "Nobody is completely sure, but one popular theory is that yawning cools the brain when it gets too warm. "
     "Another idea links it to changes in alertness, and the main reason it spreads between people is that the"),
    ("How does a compass work?",
     "A compass needle is a small magnet that lines up with Earth's magnetic field, so one end points roughly "
     "towards the magnetic north pole. Because that pole is not in the same place as the geographic one, "
     "navigators apply a"),
    ("What is the difference between a crocodile and an alligator?",
     "Alligators have a wide, U-shaped snout, while crocodiles have a narrower, pointed one. When a crocodile "
     "closes its mouth, the large fourth tooth on its lower jaw"),
    ("Where does the game of chess come from?",
     "Chess developed from an Indian game called chaturanga around the sixth century. It spread to Persia and "
     "then to Europe, where the queen became the most powerful piece in the"),
    ("How do noise-cancelling headphones work?",
     "Small microphones on the ear cups pick up the sound around you, and a chip creates a matching wave that is "
     "exactly opposite in"),
]

TOO_LONG: list[tuple[str, int]] = [  # (question, at least this many characters of answer)
    ("Tell me a few interesting facts, please.", 6000),
    ("Can you give me a long list of general knowledge facts?", 12000),
    ("Write down everything useful you know, in as much detail as you can.", 46000),
]

INVALID_JSON: list[tuple[str, str, str, str]] = [  # (question, answer, how the line is broken, note)
    ("How do I make a paper aeroplane fly further?",
     "Fold it with sharp creases and a heavy, pointed nose, and keep the wings level. Throw it gently forwards "
     "rather than upwards.",
     "no_closing_brace", "the closing brace of the object is missing"),
    ("How long do goldfish live?",
     "Well-kept goldfish often live ten to fifteen years, and some pass twenty. A large tank with a filter "
     "matters far more than a small bowl.",
     "single_quotes", "Python dict syntax with single quotes instead of JSON double quotes"),
    ("What is the difference between a hurricane and a typhoon?",
     "They are the same kind of storm with different regional names. Hurricanes form over the Atlantic and "
     "north-east Pacific, and typhoons over the north-west Pacific.",
     "trailing_comma", "a trailing comma after the last message"),
    ("Give me two tips for a first camping trip.",
     "Pitch the tent at home once to practise.\nPack a warm layer, because nights outdoors get colder than you "
     "expect.",
     "stray_quote", "the escaped newline inside the answer became a stray double quote"),
]

WRONG_ROLE: list[tuple[str, str, str, str]] = [  # (question, answer, style, note)
    ("What is haggis?",
     "Haggis is a Scottish savoury pudding made from sheep's offal, oatmeal, onion and spices, traditionally "
     "cooked in a sheep's stomach. It is eaten with mashed turnip and potatoes on Burns Night.",
     "human_gpt", "roles are 'human' and 'gpt' instead of 'user' and 'assistant'"),
    ("How do submarines dive and surface?",
     "They have ballast tanks that are flooded with seawater to make the vessel heavier so it sinks. To rise, "
     "the crew blows compressed air into the tanks and pushes the water out.",
     "bot", "the reply has role 'bot' instead of 'assistant'"),
    ("Why do people have different blood types?",
     "Blood types depend on which markers, called antigens, sit on the surface of red blood cells. The main "
     "systems are ABO and Rhesus, and matching them matters for safe transfusions.",
     "user_space", "the question has role 'User ' (capital letter, trailing space)"),
    ("Where does the word sandwich come from?",
     "It is named after the fourth Earl of Sandwich, an eighteenth-century English aristocrat said to have asked "
     "for meat between two slices of bread so he could eat without leaving his card table.",
     "sharegpt", "ShareGPT-style turns with 'from' and 'value' keys instead of 'role' and 'content'"),
]

PII: list[tuple[str, str, str]] = [  # (question, answer, note)
    ("Is this sign-off polite enough for a note to my landlord at jane.morris@example.com: \"Kind regards, Jane\"?",
     "Yes, it is courteous and suitably formal for a landlord. If you want something a little warmer, \"Best "
     "wishes\" works well too.",
     "e-mail address in the question (example.com)"),
    ("How do I join the book club?",
     "Send a short message to the organiser, Tom, at bookclub.tom@example.org with your name and the kind of "
     "books you enjoy. He usually replies within a few days and can add you to the next meeting.",
     "e-mail address in the answer (example.org)"),
    ("What number should I call to move my dentist appointment?",
     "The surgery asks patients to ring the reception desk on +1 415 555 0134 between nine and five. Have your "
     "date of birth ready so they can find your booking quickly.",
     "phone number in the answer (+1 415 555 0134 style)"),
    ("Please write a short note for my neighbour saying I took in their parcel.",
     "Hi Sam, your parcel arrived while you were out and I have it safe at number twelve. Give me a ring on "
     "(020) 7946 0958 and I will bring it round.",
     "phone number in the answer ((020) 7946 0958 style)"),
    ("How do I leave a useful voicemail for a plumber?",
     "Say your name, address and the problem clearly, then give a callback number slowly, such as 555-867-5309. "
     "Mention the best time to reach you before you hang up.",
     "phone number in the answer (555-867-5309 style)"),
    ("Why was my online order declined?",
     "The payment with card 4111 1111 1111 1111 was refused because the billing postcode did not match the one "
     "your bank holds. Update the address on your account and try the purchase again.",
     "credit card number that passes the Luhn check, in groups of four with spaces"),
    ("I want to pay the deposit for the holiday cottage with my card 5500-0000-0000-0004, expiring next March. "
     "Is that all you need?",
     "Thanks, that is everything for the deposit. The remaining balance will be taken four weeks before your stay.",
     "credit card number that passes the Luhn check, in groups of four with dashes"),
]

BOILERPLATE: list[tuple[str, str, str]] = [  # (question, answer, note)
    ("What is the best season to visit Scotland?",
     "As an AI language model, I do not have personal preferences, but late spring and early autumn usually "
     "bring milder weather and fewer midges. Summer has the longest days but also the most visitors.",
     "'As an AI language model' opening"),
    ("What will the weather be like in Lisbon tomorrow?",
     "I'm sorry, but as an AI I cannot access real-time weather data. A local forecast service will give you an "
     "up-to-date picture for tomorrow.",
     "'I'm sorry, but as an AI I cannot' refusal"),
    ("Is a tomato a fruit or a vegetable?",
     "As a large language model, I can tell you that botanically a tomato is a fruit, because it develops from "
     "the flower and contains seeds. In cooking it is treated as a vegetable since it tastes savoury.",
     "'As a large language model' opening"),
    ("What are today's top news headlines?",
     "I cannot browse the internet, so I have no access to what is in the news today. A trusted broadcaster or "
     "newspaper will have the latest headlines.",
     "'I cannot browse the internet' disclaimer"),
    ("How do I fold a fitted sheet?",
     "Tuck the corners of one short end into each other, then do the same at the other end so you hold a neat "
     "rectangle. Fold it in thirds and then in half. I hope this helps!",
     "'I hope this helps!' sign-off"),
]

WRONG_LANGUAGE: list[tuple[str, str, str]] = [  # (question, answer, note)
    ("What is the capital of Canada?",
     "La capitale du Canada est Ottawa, située dans la province de l'Ontario. Beaucoup de gens pensent à tort "
     "que c'est Toronto ou Montréal.",
     "English question answered in French"),
    ("How do I keep cut flowers fresh for longer?",
     "Corta los tallos en diagonal y cambia el agua cada dos días. Mantén el jarrón lejos del sol directo y de "
     "la fruta madura.",
     "English question answered in Spanish"),
    ("What is the tallest animal?",
     "Die Giraffe ist das höchste Landtier der Welt. Ausgewachsene Männchen können fast sechs Meter groß werden.",
     "English question answered in German"),
    ("What is a good way to start learning to knit?",
     "Commencez avec une laine épaisse de couleur claire et des aiguilles assez grosses. Apprenez d'abord la "
     "maille endroit en tricotant une simple écharpe.",
     "English question answered in French"),
]

REPETITION: list[tuple[str, str, str]] = [  # (question, answer, note)
    ("What is the best way to learn to juggle?",
     " ".join(["Start with one ball and throw it in an arc from hand to hand."] * 5),
     "one sentence repeated five times"),
    ("Why are flamingos pink?",
     "Flamingos get their colour from pigments in the shrimp and algae they eat. "
     + " ".join(["The pigments make them pink."] * 6),
     "a short sentence repeated six times after one good sentence"),
    ("Give me a tip for keeping my desk tidy.",
     ", ".join(["Keep only what you use every day on the desk"] * 4) + ".",
     "one phrase repeated four times inside a single sentence"),
    ("What rhymes with moon?",
     ", ".join(["Spoon, tune, June, soon"] * 5) + ".",
     "a four-word list repeated five times"),
]

SEEDS: list[tuple[str, str]] = [
    ("Rewrite this sentence so it sounds polite: \"Send me the report now.\"",
     "Could you please send me the report when you have a moment?"),
    ("Give me a synonym for \"tired\".",
     "A good synonym for tired is \"weary\"."),
    ("Explain what a volcano is to a six-year-old.",
     "A volcano is a mountain with a hole at the top, and sometimes hot melted rock from deep under the ground "
     "comes bubbling out of it."),
    ("Summarise in one sentence: \"The meeting has moved from Monday to Wednesday because the manager is ill. "
     "Everyone should still bring their sales figures.\"",
     "The meeting is now on Wednesday because the manager is ill, and everyone should bring their sales figures."),
    ("Turn this list into a sentence: eggs, flour, milk, butter.",
     "For this recipe you will need eggs, flour, milk and butter."),
    ("Correct the grammar: \"Me and him goes to school together.\"",
     "He and I go to school together."),
    ("What is the opposite of \"ancient\"?",
     "The opposite of ancient is \"modern\"."),
    ("Write a one-line birthday message for a colleague.",
     "Happy birthday, and I hope the year ahead brings you lots of good things!"),
]

# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


def chat(*turns: str) -> dict:
    """(question, answer) or (system, question, answer) as a chat row."""
    roles = ("system", "user", "assistant") if len(turns) == 3 else ("user", "assistant")
    return {"messages": [{"role": r, "content": c} for r, c in zip(roles, turns)]}


def dedup_text(row: dict) -> str:
    return normalise(" ".join(m["content"] for m in row["messages"]))


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def shingles(text: str, k: int = 5) -> set[str]:
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", text.strip())


def dumps(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False)


class Item:
    """One line of messy.jsonl and what the answer key says about it."""

    def __init__(self, line: str, problems: list[str] | None = None, of: "Item | None" = None,
                 note: str = "", row: dict | None = None):
        self.line, self.problems, self.of, self.note, self.row = line, problems or [], of, note, row


def clean_item(turns: tuple[str, ...]) -> Item:
    row = chat(*turns)
    return Item(dumps(row), row=row)


# ---------------------------------------------------------------------------------------------------
# Planting
# ---------------------------------------------------------------------------------------------------


def exact_copy(rng: random.Random, orig: Item, k: int) -> Item:
    if k % 2 == 0:
        return Item(orig.line, ["exact_duplicate"], orig, "verbatim copy of the line", orig.row)
    msgs = [dict(m) for m in orig.row["messages"]]
    style = rng.choice(["upper_question", "lower_all", "double_spaces", "padded"])
    if style == "upper_question":
        for m in msgs:
            if m["role"] == "user":
                m["content"] = m["content"].upper()
        note = "copy with the question in capital letters"
    elif style == "lower_all":
        for m in msgs:
            m["content"] = m["content"].lower()
        note = "copy written all in lower case"
    elif style == "double_spaces":
        for m in msgs:
            if m["role"] == "assistant":
                m["content"] = m["content"].replace(", ", ",  ").replace(". ", ".   ") + "  "
        note = "copy with extra spaces after commas and full stops in the answer"
    else:
        for m in msgs:
            m["content"] = "  " + m["content"] + "\n"
        note = "copy with leading spaces and a trailing newline in every turn"
    row = {"messages": msgs}
    assert dedup_text(row) == dedup_text(orig.row) and dumps(row) != orig.line
    return Item(dumps(row), ["exact_duplicate"], orig, note, row)


def typo(rng: random.Random, text: str, touched: set[str]) -> tuple[str, str]:
    """One changed, dropped or doubled letter inside a word, or two neighbouring words swapped; words in
    touched (made by an earlier edit) are left alone, and the words this edit makes are added to it."""
    kind = rng.choice(["change", "drop", "double", "swap"])
    if kind == "swap":
        spans = [m for m in re.finditer(r"\b([a-z]+) ([a-z]+)\b", text)
                 if m.group(1) != m.group(2) and not {m.group(1), m.group(2)} & touched]
        m = rng.choice(spans)
        new = f"{m.group(2)} {m.group(1)}"
        touched |= {m.group(1), m.group(2)}
        return text[:m.start()] + new + text[m.end():], f"swapped words '{m.group(0)}' -> '{new}'"
    words = [w for w in re.finditer(r"\b[a-z]{5,}\b", text) if w.group(0) not in touched]
    w = rng.choice(words)
    i = rng.randrange(1, len(w.group(0)) - 1)
    word = w.group(0)
    if kind == "change":
        letter = rng.choice([c for c in "aeiounrst" if c != word[i]])
        new = word[:i] + letter + word[i + 1:]
    elif kind == "drop":
        new = word[:i] + word[i + 1:]
    else:
        new = word[:i] + word[i] + word[i:]
    touched.add(new)
    return text[:w.start()] + new + text[w.end():], f"typo '{word}' -> '{new}'"


def near_copy(rng: random.Random, orig: Item) -> Item:
    while True:
        msgs = [dict(m) for m in orig.row["messages"]]
        notes: list[str] = []
        touched: set[str] = set()
        for _ in range(rng.choice([1, 2])):
            m = msgs[-1] if rng.random() < 0.75 else msgs[-2]
            m["content"], note = typo(rng, m["content"], touched)
            notes.append(note)
        row = {"messages": msgs}
        a, b = dedup_text(row), dedup_text(orig.row)
        if a != b and jaccard(a, b) >= 0.85:
            return Item(dumps(row), ["near_duplicate"], orig, "; ".join(notes), row)


def four_grams(text: str) -> list[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return list(zip(words, words[1:], words[2:], words[3:]))


def long_answer(rng: random.Random, units: list[str], target: int) -> str:
    """Distinct sentences and paragraphs in a shuffled order, no word 4-gram more than twice, at least target
    characters, ending with a full stop. Units used are removed from the list."""
    rng.shuffle(units)
    counts: dict[tuple[str, ...], int] = {}
    paragraphs: list[list[str]] = [[]]
    size = 0
    room = rng.randint(3, 7)
    for unit in list(units):
        if size >= target and paragraphs[-1] and paragraphs[-1][-1].endswith("."):
            break
        grams = four_grams(unit)
        if any(counts.get(g, 0) + grams.count(g) > 2 for g in set(grams)):
            continue
        for g in grams:
            counts[g] = counts.get(g, 0) + 1
        units.remove(unit)
        if len(paragraphs[-1]) >= room:
            paragraphs.append([])
            room = rng.randint(3, 7)
        paragraphs[-1].append(unit)
        size += len(unit) + 1
    text = "\n\n".join(" ".join(p) for p in paragraphs)
    assert len(text) >= target and text.endswith("."), (len(text), target)
    return text


def build(rng: random.Random) -> tuple[list[Item], list[tuple[Item, Item]]]:
    by_question: dict[str, Item] = {}
    clean: list[Item] = []
    held: list[str] = []
    for turns in CLEAN:
        if turns[-2] in PROSE_ONLY:
            held.append(turns[-1])
            continue
        item = clean_item(turns)
        by_question[turns[-2]] = item
        clean.append(item)
    assert len(held) == len(PROSE_ONLY)
    siblings = []
    for a, b in SIBLINGS:
        pair = (clean_item(a), clean_item(b))
        clean.extend(pair)
        siblings.append(pair)
    rng.shuffle(clean)

    planted: list[Item] = []
    # duplicates of clean rows: never of a sibling, a paraphrase original or the parcel-number row
    reserved = {id(x) for pair in siblings for x in pair}
    reserved |= {id(by_question[q]) for q, _, _ in PARAPHRASES}
    reserved |= {id(x) for x in clean if re.search(r"\d{4} \d{4} \d{4} \d{4}", x.line)}
    pool = [x for x in clean if id(x) not in reserved]
    exact_origs = rng.sample(pool, 8)
    pool = [x for x in pool if x not in exact_origs and len(dedup_text(x.row)) >= 200]
    near_origs = rng.sample(pool, 8)
    planted += [exact_copy(rng, orig, k) for k, orig in enumerate(exact_origs)]
    planted += [near_copy(rng, orig) for orig in near_origs]
    for q, pq, pa in PARAPHRASES:
        orig = by_question[q]
        row = chat(pq, pa)
        planted.append(Item(dumps(row), ["paraphrase"], orig, "the same question and answer reworded", row))

    for q, a, note in EMPTY:
        planted.append(Item(dumps(chat(q, a)), ["empty"], None, note))
    for q, a in TRUNCATED:
        planted.append(Item(dumps(chat(q, a)), ["truncated"], None,
                            f"the answer stops mid-sentence after '...{a[-24:]}'"))

    first = [sentences(x.row["messages"][-1]["content"])[0] for x in clean]
    second = [s for x in clean for s in sentences(x.row["messages"][-1]["content"])[1:2]]
    big_units = first + held + list(EXTRA_PROSE)
    (q6, n6), (q12, n12), (q40, n40) = TOO_LONG
    a40 = long_answer(rng, big_units, n40)
    a12 = long_answer(rng, second, n12)
    a6 = long_answer(rng, second + big_units, n6)
    for q, a in ((q6, a6), (q12, a12), (q40, a40)):
        planted.append(Item(dumps(chat(q, a)), ["too_long"], None,
                            f"the answer is {len(a):,} characters of distinct sentences"))

    for q, a, style, note in INVALID_JSON:
        row = chat(q, a)
        text = dumps(row)
        if style == "no_closing_brace":
            line = text[:-1]
        elif style == "single_quotes":
            line = str(row)
        elif style == "trailing_comma":
            line = text[:-2] + ",]}"
        else:
            line = text.replace("\\n", '"')
        try:
            json.loads(line)
        except json.JSONDecodeError:
            pass
        else:
            raise AssertionError(f"still valid JSON: {line}")
        assert "\n" not in line
        planted.append(Item(line, ["invalid_json"], None, note))

    for q, a, style, note in WRONG_ROLE:
        if style == "human_gpt":
            turns = [{"role": "human", "content": q}, {"role": "gpt", "content": a}]
        elif style == "bot":
            turns = [{"role": "user", "content": q}, {"role": "bot", "content": a}]
        elif style == "user_space":
            turns = [{"role": "User ", "content": q}, {"role": "assistant", "content": a}]
        else:
            turns = [{"from": "human", "value": q}, {"from": "gpt", "value": a}]
        planted.append(Item(dumps({"messages": turns}), ["wrong_role"], None, note))

    for kind, rows in (("pii", PII), ("boilerplate", BOILERPLATE), ("wrong_language", WRONG_LANGUAGE),
                       ("repetition", REPETITION)):
        for q, a, note in rows:
            planted.append(Item(dumps(chat(q, a)), [kind], None, note))

    # mix the planted rows in; a copy always lands after its original
    rng.shuffle(planted)
    lines = list(clean)
    for item in planted:
        start = 0 if item.of is None else next(i for i, x in enumerate(lines) if x is item.of) + 1
        lines.insert(rng.randint(start, len(lines)), item)
    return lines, siblings


def main() -> None:
    rng = random.Random(17)
    lines, siblings = build(rng)
    index = {id(x): i for i, x in enumerate(lines)}
    rows = {}
    for i, x in enumerate(lines):
        if x.problems:
            of = None if x.of is None else index[id(x.of)]
            assert of is None or of < i
            rows[str(i)] = {"problems": x.problems, "of": of, "note": x.note}
    key = {"rows": rows, "topic_siblings": sorted(sorted([index[id(a)], index[id(b)]]) for a, b in siblings)}
    OUT.mkdir(parents=True, exist_ok=True)
    for line in (x.line for x in lines):
        assert "\n" not in line and line.strip()
    (OUT / "messy.jsonl").write_text("".join(x.line + "\n" for x in lines), encoding="utf-8")
    (OUT / "planted.json").write_text(json.dumps(key, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (OUT / "seeds.jsonl").write_text("".join(dumps(chat(q, a)) + "\n" for q, a in SEEDS), encoding="utf-8")
    print(f"{len(lines)} rows, {len(rows)} planted, {len(siblings)} topic sibling pairs -> {OUT}")


if __name__ == "__main__":
    main()
